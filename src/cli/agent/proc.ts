/** Parsers for the Linux /proc files the agent reads; pure, so they are tested on fixed text. */

/** /proc/meminfo → bytes by field name (values are in kB there). */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([\w()]+):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (match?.[1] && match[2]) fields.set(match[1], Number(match[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return fields;
}

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
}

/** Local, block-backed filesystems: network mounts are left out because statfs on a dead server hangs. */
const REAL_FILESYSTEMS = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'zfs',
  'f2fs',
  'jfs',
  'reiserfs',
  'bcachefs',
  'vfat',
  'exfat',
  'ntfs',
  'ntfs3',
  'fuseblk',
  'hfsplus',
]);

/**
 * /proc/mounts → the real filesystems, one mount point per device (bind
 * mounts of the same device are the same disk; the shortest path wins).
 */
export function parseMounts(text: string): Mount[] {
  const byDevice = new Map<string, Mount>();
  for (const line of text.split('\n')) {
    const [device, mountPoint, fsType] = line.split(' ');
    if (!device || !mountPoint || !fsType || !REAL_FILESYSTEMS.has(fsType)) continue;
    const mount = { device: unescapeMount(device), mountPoint: unescapeMount(mountPoint), fsType };
    const seen = byDevice.get(mount.device);
    if (!seen || mount.mountPoint.length < seen.mountPoint.length) byDevice.set(mount.device, mount);
  }
  return [...byDevice.values()].sort((a, b) => a.mountPoint.localeCompare(b.mountPoint));
}

/** The kernel writes space, tab, newline and backslash in mount fields as octal escapes. */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export interface InterfaceCounters {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
}

/** /proc/net/dev → counters per interface, loopback left out. */
export function parseNetDev(text: string): Map<string, InterfaceCounters> {
  const interfaces = new Map<string, InterfaceCounters>();
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const values = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (!name || name === 'lo' || values.length < 16 || values.some((v) => !Number.isFinite(v))) continue;
    const at = (i: number) => values[i] ?? 0;
    interfaces.set(name, {
      rx_bytes: at(0),
      rx_packets: at(1),
      rx_errors: at(2),
      tx_bytes: at(8),
      tx_packets: at(9),
      tx_errors: at(10),
    });
  }
  return interfaces;
}
