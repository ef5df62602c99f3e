# ccs hook for PowerShell. Install with this line in your $PROFILE:
#     Invoke-Expression (& ccs init powershell | Out-String)
# It makes `ccs use NAME` and `ccs off` switch this session, gives `ccs_prompt`, and leaves every
# other command to the binary. Safe to run more than once.

# The binary itself, never this function: like `command ccs` in the POSIX hooks.
$global:__ccs_binary = (Get-Command -Name ccs -CommandType Application -ErrorAction Stop |
    Select-Object -First 1).Source

function global:ccs {
    $subcommand = if ($args.Count -gt 0) { [string]$args[0] } else { '' }
    $wantsHelp = ($args -contains '-h') -or ($args -contains '--help')
    if (($subcommand -eq 'use' -or $subcommand -eq 'off') -and -not $wantsHelp) {
        $rest = @($args | Select-Object -Skip 1)
        # Read the binary's output as UTF-8 whatever the console's code page, so a profile path
        # with non-ASCII characters arrives intact.
        $encoding = [Console]::OutputEncoding
        $succeeded = $false
        try {
            [Console]::OutputEncoding = [System.Text.Encoding]::UTF8
            $code = & $global:__ccs_binary $subcommand --shell powershell @rest
            $succeeded = $LASTEXITCODE -eq 0
        } finally {
            [Console]::OutputEncoding = $encoding
        }
        # Evaluate only what a successful run printed: a failed `use` changes nothing.
        if ($succeeded) {
            Invoke-Expression ($code -join "`n")
        }
    } else {
        # CCS_HOOK tells `ccs doctor` that the hook is installed here.
        $env:CCS_HOOK = 'powershell'
        try { & $global:__ccs_binary @args } finally { $env:CCS_HOOK = $null }
    }
}

# Prints the active profile; a function call in a prompt starts no process.
function global:ccs_prompt {
    if ($env:CCS_PROFILE) { $env:CCS_PROFILE }
}

# Opt-in (`ccs init powershell --prompt`): show `(work) ` before the prompt, like a Python venv,
# by wrapping the existing prompt function once. Keeps $? and $LASTEXITCODE for that prompt.
function global:__ccs_enable_prompt_prefix {
    if (Test-Path -Path Function:\__ccs_user_prompt) { return }
    Set-Item -Path Function:\global:__ccs_user_prompt -Value $function:prompt
    function global:prompt {
        # Names unlike $LASTEXITCODE: variable names ignore case, and a local of that name would
        # hide the real one from the user's prompt.
        $ccsSucceeded = $?
        $ccsExitCode = $global:LASTEXITCODE
        $prefix = ''
        if ($env:CCS_PROFILE -cmatch '^[A-Za-z0-9._-]+$') { $prefix = "($env:CCS_PROFILE) " }
        # Hand the user's prompt the last command's $? and exit code ...
        $global:LASTEXITCODE = $ccsExitCode
        if (-not $ccsSucceeded) { Write-Error -Message '' -ErrorAction Ignore }
        $prefix + (__ccs_user_prompt)
        # ... and leave them so for the command line: this must stay the last thing done.
        $global:LASTEXITCODE = $ccsExitCode
        if (-not $ccsSucceeded) { Write-Error -Message '' -ErrorAction Ignore }
    }
}
