<#
.SYNOPSIS
  Installs the restic-manager agent on a Windows host and enrols it with the server.

.DESCRIPTION
  The server serves this file at /install/install.ps1 with its URL filled in (the one
  placeholder below, replaced verbatim). Run it in an elevated PowerShell:

    & ([scriptblock]::Create((irm https://backup.example.com/install/install.ps1))) -Token '<token>'

  (`$env:RM_TOKEN = '<token>'; irm .../install.ps1 | iex` works too, but runs in your session's
  scope.) Errors are thrown, never `exit`, so a failure does not close your PowerShell window.

  It downloads the agent, checks its SHA-256, enrols, installs it under Program Files, registers
  it to run at startup as SYSTEM, and lists scheduled tasks and services that already run restic,
  with the command to disable each. It disables nothing itself.

  Why a scheduled task and not a service: the agent is a Bun-compiled console program and does
  not speak the Service Control Manager protocol, so `sc.exe create` / New-Service would register
  a service that Windows kills after 30 s (error 1053). A SYSTEM task at startup, re-triggered
  every 5 minutes with "ignore new instance", keeps exactly one agent running instead.

.PARAMETER Token
  One-time enrolment token (Hosts -> Add host); default $env:RM_TOKEN. Not needed to upgrade an
  already enrolled host.

.PARAMETER TlsPin
  SHA-256 of the server's TLS leaf certificate (self-signed proxy); default $env:RM_TLS_PIN.

.PARAMETER Server
  Server URL when this file was not served by the server; default $env:RM_SERVER.
#>
[CmdletBinding()]
param(
  [string]$Token = $env:RM_TOKEN,
  [string]$TlsPin = $env:RM_TLS_PIN,
  [string]$Server = $env:RM_SERVER
)

$ErrorActionPreference = 'Stop'

$DefaultServer = '__SERVER_URL__'
$TaskName = 'restic-manager-agent'
$TaskPath = '\restic-manager\'
$InstallDir = Join-Path $env:ProgramFiles 'restic-manager'
$Exe = Join-Path $InstallDir 'restic-manager-agent.exe'
$DataDir = Join-Path $env:ProgramData 'restic-manager'
$Config = Join-Path $DataDir 'agent.yaml'
$LogFile = Join-Path $DataDir 'agent.log'

function Fail([string]$Message) {
  Write-Host "error: $Message" -ForegroundColor Red
  throw "restic-manager agent install failed: $Message"
}

# ------------------------------------------------------------------------------------------------
# Preconditions
# ------------------------------------------------------------------------------------------------

if (-not $Server) { $Server = $DefaultServer }
if ($Server -like '__*__') {
  Fail 'no server URL: download this script from your restic-manager server (/install/install.ps1) or pass -Server URL'
}
if ($Server -notmatch '^https?://') { Fail "server URL must start with http:// or https://, got: $Server" }
$Server = $Server.TrimEnd('/')

$identity = [Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
if (-not $identity.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  Fail 'run this from an elevated PowerShell (Run as administrator)'
}

switch ($env:PROCESSOR_ARCHITECTURE) {
  'AMD64' { $Arch = 'x64' }
  # Windows on ARM runs the x64 build through emulation.
  'ARM64' { $Arch = 'x64'; Write-Warning 'no native arm64 agent for Windows yet; installing the x64 build (emulated)' }
  default { Fail "unsupported architecture $($env:PROCESSOR_ARCHITECTURE): the agent is built for x64" }
}

if ($TlsPin) {
  $TlsPin = ($TlsPin -replace '[:\s]', '').ToLowerInvariant()
  if ($TlsPin -notmatch '^[0-9a-f]{64}$') { Fail '-TlsPin must be 64 hex digits (the SHA-256 of the server certificate)' }
  if ($Server -notmatch '^https://') { Fail '-TlsPin needs an https:// server URL' }
}

if ((Test-Path $Config) -and -not $Token) {
  Write-Host "This host is already enrolled ($Config): upgrading the agent binary only."
} elseif (-not $Token) {
  Fail 'no enrolment token: create one on the server under Hosts -> Add host and set $env:RM_TOKEN or pass -Token'
}

# ------------------------------------------------------------------------------------------------
# Download. A compiled helper checks the pin inside the TLS handshake: PowerShell script blocks
# cannot serve as certificate callbacks on HttpClient's worker threads.
# ------------------------------------------------------------------------------------------------

[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

$helper = @'
using System;
using System.IO;
using System.Net.Http;
using System.Security.Cryptography;

public static class ResticManagerDownload {
  public static string LastCertificate = "";

  public static void Fetch(string url, string path, string pin) {
    var handler = new HttpClientHandler();
    if (!string.IsNullOrEmpty(pin)) {
      handler.ServerCertificateCustomValidationCallback = (message, cert, chain, errors) => {
        using (var sha = SHA256.Create()) {
          LastCertificate = BitConverter.ToString(sha.ComputeHash(cert.GetRawCertData())).Replace("-", "").ToLowerInvariant();
        }
        return LastCertificate == pin;
      };
    }
    using (var client = new HttpClient(handler)) {
      client.Timeout = TimeSpan.FromMinutes(10);
      using (var response = client.GetAsync(url).GetAwaiter().GetResult()) {
        if (!response.IsSuccessStatusCode) {
          throw new Exception("HTTP " + (int)response.StatusCode + " from " + url);
        }
        using (var file = File.Create(path)) {
          response.Content.CopyToAsync(file).GetAwaiter().GetResult();
        }
      }
    }
  }
}
'@
if (-not ('ResticManagerDownload' -as [type])) {
  if ($PSVersionTable.PSEdition -eq 'Desktop') {
    Add-Type -TypeDefinition $helper -ReferencedAssemblies 'System.Net.Http'
  } else {
    Add-Type -TypeDefinition $helper
  }
}

function Get-File([string]$Url, [string]$Path) {
  try {
    [ResticManagerDownload]::Fetch($Url, $Path, $TlsPin)
  } catch {
    $seen = [ResticManagerDownload]::LastCertificate
    if ($TlsPin -and $seen -and $seen -ne $TlsPin) {
      Fail "TLS pin mismatch: the server presented a certificate with SHA-256 $seen, expected $TlsPin. Nothing was downloaded."
    }
    Fail "cannot download ${Url}: $($_.Exception.GetBaseException().Message)"
  }
}

$Tmp = Join-Path ([IO.Path]::GetTempPath()) ("restic-manager-" + [Guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory -Path $Tmp | Out-Null
try {
  $query = "os=windows&arch=$Arch"
  Write-Host "Downloading the restic-manager agent for windows-$Arch from $Server ..."
  Get-File "$Server/agent/binary.sha256?$query" (Join-Path $Tmp 'agent.sha256')
  Get-File "$Server/agent/binary?$query" (Join-Path $Tmp 'agent.exe')

  $expected = ((Get-Content (Join-Path $Tmp 'agent.sha256') -Raw).Trim() -split '\s+')[0].ToLowerInvariant()
  if ($expected -notmatch '^[0-9a-f]{64}$') { Fail 'the server sent no valid SHA-256 for the agent binary' }
  $actual = (Get-FileHash -Algorithm SHA256 (Join-Path $Tmp 'agent.exe')).Hash.ToLowerInvariant()
  if ($actual -ne $expected) {
    Fail "checksum mismatch for the agent binary (expected $expected, got $actual): not installing it"
  }
  $version = & (Join-Path $Tmp 'agent.exe') version
  if ($LASTEXITCODE -ne 0) { Fail 'the downloaded agent does not run on this host' }
  Write-Host "Verified agent $version (sha256 $actual)."

  # ----------------------------------------------------------------------------------------------
  # Install and enrol
  # ----------------------------------------------------------------------------------------------

  $existing = Get-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -ErrorAction SilentlyContinue
  if ($existing) { Stop-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -ErrorAction SilentlyContinue }
  Get-Process -Name 'restic-manager-agent' -ErrorAction SilentlyContinue | Stop-Process -Force

  New-Item -ItemType Directory -Force -Path $InstallDir, $DataDir | Out-Null
  # The config holds the host's token and the secrets key: SYSTEM and Administrators only.
  & icacls.exe $DataDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
  if ($LASTEXITCODE -ne 0) { Fail "cannot restrict the permissions of $DataDir" }
  Copy-Item -Force (Join-Path $Tmp 'agent.exe') $Exe
  Write-Host "Installed $Exe."

  if ($Token) {
    $enrollArgs = @('enroll', '--server', $Server, '--config', $Config)
    if ($TlsPin) { $enrollArgs += @('--tls-pin', $TlsPin) }
    # A new token for an enrolled host means the operator wants to re-enrol it.
    if (Test-Path $Config) { $enrollArgs += '--force' }
    # The token travels in the environment, never on the command line.
    $env:RM_TOKEN = $Token
    try {
      & $Exe @enrollArgs
      $enrolled = $LASTEXITCODE
    } finally {
      Remove-Item Env:RM_TOKEN -ErrorAction SilentlyContinue
    }
    if ($enrolled -ne 0) { Fail 'enrolment failed (see the message above); nothing was started' }
  }
} finally {
  Remove-Item -Recurse -Force $Tmp -ErrorAction SilentlyContinue
}

if (Get-Command restic -ErrorAction SilentlyContinue) {
  Write-Host "restic found: $(& restic version)"
} else {
  Write-Warning "restic is not on PATH; install it (e.g. winget install restic.restic or scoop install restic) - the server shows the host as 'restic missing' until then"
}

# ------------------------------------------------------------------------------------------------
# Run at startup as SYSTEM
# ------------------------------------------------------------------------------------------------

$cmdLine = "/d /c `"`"$Exe`" run --config `"$Config`" >> `"$LogFile`" 2>&1`""
$action = New-ScheduledTaskAction -Execute "$env:SystemRoot\System32\cmd.exe" -Argument $cmdLine -WorkingDirectory $DataDir
$atStartup = New-ScheduledTaskTrigger -AtStartup
# Re-trigger every 5 minutes: a crashed agent comes back, a running one is left alone (IgnoreNew).
$watchdog = New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(1) -RepetitionInterval (New-TimeSpan -Minutes 5) -RepetitionDuration (New-TimeSpan -Days 36500)
$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
$settings = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable `
  -MultipleInstances IgnoreNew -ExecutionTimeLimit ([TimeSpan]::Zero) `
  -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1)
Register-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath -Action $action -Trigger @($atStartup, $watchdog) `
  -Principal $principal -Settings $settings -Description 'restic-manager agent: runs restic backups for the restic-manager server' `
  -Force | Out-Null
Start-ScheduledTask -TaskName $TaskName -TaskPath $TaskPath
Start-Sleep -Seconds 3
if (Get-Process -Name 'restic-manager-agent' -ErrorAction SilentlyContinue) {
  Write-Host "The agent is running: the host turns online in the server's Hosts list within seconds."
} else {
  Write-Warning "the agent is not running; see $LogFile"
}
Write-Host "Logs: Get-Content -Wait '$LogFile'    Status: & '$Exe' status --config '$Config'"

# ------------------------------------------------------------------------------------------------
# Existing restic schedules: listed with the command to disable each. Nothing is changed.
# ------------------------------------------------------------------------------------------------

$findings = New-Object System.Collections.Generic.List[object]

foreach ($task in Get-ScheduledTask -ErrorAction SilentlyContinue) {
  if ($task.TaskPath -eq $TaskPath -and $task.TaskName -eq $TaskName) { continue }
  $text = (@($task.Actions | ForEach-Object { "$($_.Execute) $($_.Arguments)".Trim() }) -join ' ; ')
  if ("$($task.TaskName) $text" -match 'restic' -and $text -notmatch 'restic-manager-agent') {
    $findings.Add([pscustomobject]@{
        What    = "scheduled task $($task.TaskPath)$($task.TaskName)"
        Detail  = $text
        Disable = "Disable-ScheduledTask -TaskPath '$($task.TaskPath)' -TaskName '$($task.TaskName)'"
      })
  }
}

foreach ($service in Get-CimInstance -ClassName Win32_Service -ErrorAction SilentlyContinue) {
  if ("$($service.Name) $($service.PathName)" -match 'restic' -and "$($service.PathName)" -notmatch 'restic-manager-agent') {
    $findings.Add([pscustomobject]@{
        What    = "service $($service.Name) ($($service.State))"
        Detail  = "$($service.PathName)"
        Disable = "Stop-Service -Name '$($service.Name)'; Set-Service -Name '$($service.Name)' -StartupType Disabled"
      })
  }
}

if ($findings.Count -eq 0) {
  Write-Host 'No other restic schedules found (scheduled tasks, services).'
} else {
  Write-Host ''
  Write-Host 'Existing restic schedules on this host. restic-manager leaves them alone; if they back up'
  Write-Host 'into the same repository, disable them to avoid double backups and lock conflicts:'
  foreach ($finding in $findings) {
    Write-Host ''
    Write-Host "  $($finding.What)"
    Write-Host "      $($finding.Detail)"
    Write-Host "    disable: $($finding.Disable)"
  }
}
Write-Host ''
Write-Host 'Done.'
