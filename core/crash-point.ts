// Fault injection for the crash tests: `CUSTODY_CRASH_POINT=<name>` makes the process kill itself with SIGKILL
// when it reaches that named point, exactly as a power cut or `kill -9` would stop it there. Unset (always, outside
// tests) it does nothing. The points are named where they are reached, e.g. SIGN_CRASH_POINTS in provenance/output.ts.
export function crashPoint(name: string): void {
  if (process.env.CUSTODY_CRASH_POINT === name) process.kill(process.pid, 'SIGKILL');
}
