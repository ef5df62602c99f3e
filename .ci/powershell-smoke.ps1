# The PowerShell hook, run for real: `ccs use`, `ccs use -`, `ccs off` switch this session, and
# the prompt wrapper prefixes the prompt. Run by .github/workflows/ci.yml with pwsh on the Linux,
# macOS and Windows runners, with the built ccs first on PATH; no PowerShell can be installed on
# our own machines, where the hook is only parsed (tests/it/powershell.rs).
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("ccs-ps-smoke-" + [guid]::NewGuid())
$env:CCS_HOME = Join-Path $tmp 'store'
$env:CCS_SHARED_FROM = Join-Path $tmp 'claude'
New-Item -ItemType Directory -Path (Join-Path $env:CCS_SHARED_FROM 'commands') -Force | Out-Null
Set-Content -Path (Join-Path $env:CCS_SHARED_FROM 'CLAUDE.md') -Value 'one'
Remove-Item Env:CLAUDE_CONFIG_DIR -ErrorAction SilentlyContinue

function Assert-Equal($what, $expected, $actual) {
    if ($expected -ne $actual) { throw "powershell-smoke: ${what}: expected '$expected', got '$actual'" }
}

Invoke-Expression (& ccs init powershell --prompt | Out-String)

& ccs create work 2>$null
if ($LASTEXITCODE -ne 0) { throw 'powershell-smoke: ccs create work failed' }
& ccs create personal 2>$null
$workDir = (& ccs path work | Out-String).Trim()
$personalDir = (& ccs path personal | Out-String).Trim()

# Shared items are links (on Windows: a symbolic link, or a junction for a folder), so an edit
# in the shared folder is seen at once through the profile; a copy would not follow it.
Set-Content -Path (Join-Path $env:CCS_SHARED_FROM 'CLAUDE.md') -Value 'two'
Set-Content -Path (Join-Path $env:CCS_SHARED_FROM 'commands/x.md') -Value 'x'
Assert-Equal 'CLAUDE.md through the profile' 'two' ((Get-Content (Join-Path $workDir 'CLAUDE.md') | Out-String).Trim())
if (-not (Test-Path (Join-Path $workDir 'commands/x.md'))) { throw 'powershell-smoke: commands/ is not linked' }

ccs use work 2>$null
Assert-Equal 'after use work' $workDir $env:CLAUDE_CONFIG_DIR
Assert-Equal 'CCS_PROFILE' 'work' $env:CCS_PROFILE
Assert-Equal 'ccs current' 'work' ((& ccs current | Out-String).Trim())
if (-not ((prompt) -like '(work) *')) { throw "powershell-smoke: the prompt is '$(prompt)'" }

ccs use personal 2>$null
Assert-Equal 'after use personal' $personalDir $env:CLAUDE_CONFIG_DIR
ccs use - 2>$null
Assert-Equal 'after use -' $workDir $env:CLAUDE_CONFIG_DIR

ccs off 2>$null
Assert-Equal 'after off' $null $env:CLAUDE_CONFIG_DIR

Remove-Item -Recurse -Force $tmp
Write-Output "powershell-smoke: use, use -, off and the prompt work in PowerShell $($PSVersionTable.PSVersion)"
