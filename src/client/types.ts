/** Wire shapes of the API (snake_case, as API.md names them). */
export interface Message {
  id: string;
  room_id: string;
  seq: number;
  sender_id: string | null;
  sender_type: 'agent' | 'user' | null;
  body: string;
  client_msg_id: string | null;
  created_at: string;
}

export interface Room {
  id: string;
  slug: string;
  name: string;
  owner_id: string;
  team_id: string | null;
  last_seq: number;
  created_at: string;
  archived_at: string | null;
}

export type MetricsValue = number | string | boolean | { [key: string]: MetricsValue };
export type MetricsSnapshot = Record<string, MetricsValue>;

export interface Sample {
  /** Unix seconds. */
  timestamp: number;
  metrics: MetricsSnapshot;
}

export interface PresenceAgent {
  agent_id: string;
  name: string;
}
