# ccs hook for PowerShell. Install with this line in your $PROFILE:
#     Invoke-Expression (& ccs init powershell | Out-String)
# It makes `ccs use NAME`, `ccs use -` and `ccs off` switch this session (and `ccs rename`
# re-point it, `ccs remove` switch it off the profile it removes, `ccs continue` switch it to the
# profile it hands a conversation to, then resume it there), gives `ccs_prompt`, and leaves every
# other command to the binary. Safe to run more than once.

# The binary itself, never this function: like `command ccs` in the POSIX hooks.
$global:__ccs_binary = (Get-Command -Name ccs -CommandType Application -ErrorAction Stop |
    Select-Object -First 1).Source

function global:ccs {
    $subcommand = if ($args.Count -gt 0) { [string]$args[0] } else { '' }
    $wantsHelp = ($args -contains '-h') -or ($args -contains '--help')
    # `continue --print` prints a command for the person, not code for the session.
    $printsOnly = ($subcommand -eq 'continue') -and ($args -contains '--print')
    if (($subcommand -in 'use', 'off', 'rename', 'remove', 'rm', 'continue') -and -not $wantsHelp -and -not $printsOnly) {
        # A `cd` typed earlier on the same line is seen only at the next prompt: apply its pin
        # first, quietly, so that this command wins over it and says where the session ends.
        if ($global:__ccs_auto_on) { __ccs_auto_switch -Quietly }
        $rest = @($args | Select-Object -Skip 1)
        # The code is ASCII whatever the path (see src/shell/powershell.rs); the messages on
        # stderr are UTF-8, which the console shows right under this encoding.
        $encoding = [Console]::OutputEncoding
        $succeeded = $false
        try {
            [Console]::OutputEncoding = [System.Text.Encoding]::UTF8
            $code = & $global:__ccs_binary $subcommand --shell powershell @rest
            $succeeded = $LASTEXITCODE -eq 0
        } finally {
            [Console]::OutputEncoding = $encoding
        }
        # Evaluate only what a successful run printed: a failed `use` changes nothing. `rename`
        # and `remove` print code only when they renamed or removed the profile this session is
        # on (their report goes to stderr).
        # (Invoke-Expression refuses an empty string: `rename` of another profile prints none.)
        if ($succeeded -and $code) {
            Invoke-Expression ($code -join "`n")
        }
    } else {
        # CCS_HOOK tells `ccs doctor` that the hook is installed here. The output is read as
        # UTF-8 here too: `ccs path`, `ccs show` and `ccs list` print paths and names as they are.
        $encoding = [Console]::OutputEncoding
        $env:CCS_HOOK = 'powershell'
        try {
            [Console]::OutputEncoding = [System.Text.Encoding]::UTF8
            & $global:__ccs_binary @args
        } finally {
            [Console]::OutputEncoding = $encoding
            $env:CCS_HOOK = $null
        }
    }
}

# Prints the active profile; a function call in a prompt starts no process.
function global:ccs_prompt {
    if ($env:CCS_PROFILE) { $env:CCS_PROFILE }
}

# State the functions below read: set once, so that they run under `Set-StrictMode -Version
# Latest` (which refuses a variable read before it is set) and keep their values when the hook
# runs again.
foreach ($ccsName in '__ccs_prefix_on', '__ccs_auto_on', '__ccs_auto_pwd', '__ccs_auto_pin',
    '__ccs_saved_dir', '__ccs_saved_profile', '__ccs_pins_reported') {
    if (-not (Test-Path -Path "Variable:global:$ccsName")) { Set-Variable -Name $ccsName -Scope Global -Value $null }
}
Remove-Variable -Name ccsName

# The one prompt wrapper, put around the existing prompt function once: it switches by pin
# (--auto) before anything is drawn, then prefixes the user's prompt with `(work) ` (--prompt).
# The user's prompt gets the last command's $? and $LASTEXITCODE, and they are left so for the
# command line.
function global:__ccs_wrap_prompt {
    if (Test-Path -Path Function:\__ccs_user_prompt) { return }
    Set-Item -Path Function:\global:__ccs_user_prompt -Value $function:prompt
    function global:prompt {
        # Names unlike $LASTEXITCODE: variable names ignore case, and a local of that name would
        # hide the real one from the user's prompt.
        $ccsSucceeded = $?
        $ccsExitCode = $global:LASTEXITCODE
        if ($global:__ccs_auto_on) { __ccs_auto_switch }
        $prefix = ''
        if ($global:__ccs_prefix_on -and $env:CCS_PROFILE -cmatch '\A[A-Za-z0-9._-]+\z') {
            $prefix = "($env:CCS_PROFILE) "
        }
        # Hand the user's prompt the last command's $? and exit code ...
        $global:LASTEXITCODE = $ccsExitCode
        if (-not $ccsSucceeded) { Write-Error -Message '' -ErrorAction Ignore }
        $prefix + (__ccs_user_prompt)
        # ... and leave them so for the command line: this must stay the last thing done.
        $global:LASTEXITCODE = $ccsExitCode
        if (-not $ccsSucceeded) { Write-Error -Message '' -ErrorAction Ignore }
    }
}

# Opt-in (`ccs init powershell --prompt`): show `(work) ` before the prompt, like a Python venv.
function global:__ccs_enable_prompt_prefix {
    $global:__ccs_prefix_on = $true
    __ccs_wrap_prompt
}

# Opt-in (`ccs init powershell --auto`): entering a tree pinned by `ccs pin` (a .ccs-profile file)
# switches to its profile; leaving it restores what was active before. A manual `ccs use` inside
# the tree wins until you leave it. Checked before each prompt, with no process unless the nearest
# pin changes, then one `ccs use`. $env:CCS_AUTO_QUIET = 1 silences the notes.
function global:__ccs_enable_auto_switch {
    $global:__ccs_auto_on = $true
    __ccs_wrap_prompt
    __ccs_auto_switch
}

function global:__ccs_auto_switch {
    param([switch]$Quietly)
    $here = $PWD.ProviderPath
    if ($here -ceq $global:__ccs_auto_pwd) { return }
    $global:__ccs_auto_pwd = $here
    # The nearest .ccs-profile at or above here, read as data, never evaluated.
    $name = ''
    $file = ''
    $dir = $here
    while ($dir) {
        $candidate = Join-Path -Path $dir -ChildPath '.ccs-profile'
        if (Test-Path -LiteralPath $candidate -PathType Leaf) {
            $file = $candidate
            # Get-Content drops the line end, CR of a Windows checkout included.
            $name = [string](Get-Content -LiteralPath $candidate -TotalCount 1)
            if (-not $name) { $name = ' ' }
            break
        }
        $dir = Split-Path -Path $dir -Parent
    }
    if ($name -ceq [string]$global:__ccs_auto_pin) { return }
    # Shown with control characters replaced: a cloned directory's name must not send escape
    # sequences to the terminal.
    $shownFile = $file -replace '\p{Cc}', '?'
    if (-not $global:__ccs_auto_pin) {
        $global:__ccs_saved_dir = $env:CLAUDE_CONFIG_DIR
        $global:__ccs_saved_profile = $env:CCS_PROFILE
    }
    $global:__ccs_auto_pin = $name
    if (-not $name) {
        $before = $env:CLAUDE_CONFIG_DIR
        $env:CLAUDE_CONFIG_DIR = $global:__ccs_saved_dir
        $env:CCS_PROFILE = $global:__ccs_saved_profile
        # A shell that carries its profile's name over ssh carries the one it is back on.
        if (Test-Path Env:LC_CCS_PROFILE) { $env:LC_CCS_PROFILE = [string]$env:CCS_PROFILE }
        # Said only when leaving changes the profile: a pin that never applied changed nothing.
        if (-not $env:CCS_AUTO_QUIET -and $before -cne $env:CLAUDE_CONFIG_DIR) {
            $back = if ($env:CCS_PROFILE) { $env:CCS_PROFILE } elseif ($env:CLAUDE_CONFIG_DIR) { $env:CLAUDE_CONFIG_DIR } else { 'the default ~/.claude' }
            [Console]::Error.WriteLine("ccs: left the pinned tree; back to $back")
        }
    } elseif ($name -cmatch '\A[A-Za-z0-9][A-Za-z0-9._-]{0,63}\z' -and -not $name.Contains('..')) {
        # ccs says when the profile changes (unless CCS_AUTO_QUIET), and why a pin cannot apply
        # (a profile renamed or removed): that once per session and pin, and not while a `ccs
        # use` typed on the same line is about to decide (-Quietly). The pin is remembered as
        # seen either way.
        $key = "${name}:$file"
        if ($null -eq $global:__ccs_pins_reported) { $global:__ccs_pins_reported = @{} }
        $reported = $Quietly -or $global:__ccs_pins_reported.ContainsKey($key)
        $flags = @('use', '--shell', 'powershell', '--pinned-by', $file)
        if ($reported) { $flags += '--pin-reported' }
        # In the array: PowerShell may drop a bare `--` it is given on a command line.
        $flags += '--', $name
        $quiet = $env:CCS_AUTO_QUIET
        $encoding = [Console]::OutputEncoding
        $succeeded = $false
        try {
            if ($Quietly) { $env:CCS_AUTO_QUIET = '1' }
            [Console]::OutputEncoding = [System.Text.Encoding]::UTF8
            $code = & $global:__ccs_binary @flags
            $succeeded = $LASTEXITCODE -eq 0
        } finally {
            [Console]::OutputEncoding = $encoding
            $env:CCS_AUTO_QUIET = $quiet
        }
        if ($succeeded -and $code) {
            Invoke-Expression ($code -join "`n")
        } elseif (-not $succeeded -and -not $reported) {
            $global:__ccs_pins_reported[$key] = $true
        }
    } else {
        [Console]::Error.WriteLine("ccs: ignoring ${shownFile}: it does not hold a profile name")
    }
}
