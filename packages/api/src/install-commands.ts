/** The commands the Add host page shows. The token rides in the environment, not in argv of the agent. */
export function installCommands(publicUrl: string, token: string) {
  const quoted = `'${token.replace(/'/g, "'\\''")}'`;
  return {
    linux: `curl -fsSL ${publicUrl}/install/install.sh | sudo RM_TOKEN=${quoted} sh`,
    windows: `$env:RM_TOKEN=${quoted}; iwr -UseBasicParsing ${publicUrl}/install/install.ps1 | iex`,
  };
}
