/** The agent's log lines: information on stdout, problems on stderr (journald keeps both). */
export interface AgentLog {
  info(message: string): void;
  warn(message: string): void;
}

export const consoleLog: AgentLog = {
  info: (message) => console.log(message),
  warn: (message) => console.error(message),
};
