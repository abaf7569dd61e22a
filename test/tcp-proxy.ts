import net from 'node:net';

// [Note: outage proxy]
// A TCP relay between the server and its database, so a test can take "the database" away
// from one server without touching the PostgreSQL other tests share: cut() destroys every
// relayed connection at once (as a database restart does) and answers every new one with a
// reset until restore(). silence() is a database host that stops answering (a network
// partition, a paused machine): relayed connections are dropped and new ones are accepted
// but never answered. hold() keeps every connection but stops moving bytes either way (a
// stalled link: TCP's flow control then stops the sender too) until release(). The port
// stays bound throughout, so nothing else can take it.

export class TcpProxy {
  private readonly open = new Set<net.Socket>();
  private down: false | 'refuse' | 'silent' = false;
  private held = false;
  /** Bytes from clients still to relay before holdAfter() holds. */
  private quota: { left: number; reached: () => void } | undefined;
  /** Each relayed connection's two sockets, client first. */
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  /** Connections relayed, and connections reset because the proxy was down. */
  readonly counts = { relayed: 0, refused: 0 };

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => proxy.accept(client, target));
    return proxy;
  }

  /** The database URL `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  get connections(): number {
    return this.open.size;
  }

  private accept(client: net.Socket, target: { host: string; port: number }) {
    if (this.down) {
      this.counts.refused += 1;
      if (this.down === 'refuse') return void client.resetAndDestroy();
      // Held open and never answered, until the caller gives up or restore() drops it.
      this.open.add(client);
      client.on('error', () => {});
      client.on('close', () => this.open.delete(client));
      return;
    }
    this.counts.relayed += 1;
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.setNoDelay(true);
      s.on('close', () => this.open.delete(s));
    }
    client.on('data', (d: Buffer) => {
      if (!this.quota) return;
      this.quota.left -= d.length;
      if (this.quota.left > 0) return;
      const { reached } = this.quota;
      this.quota = undefined;
      this.hold();
      reached();
    });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    client.on('close', () => this.pairs.delete(pair));
    if (!this.held) relay(pair);
    // Either side failing or closing takes the other down with it.
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Drops every relayed connection (a reset, as when the database process dies) and refuses new ones. */
  cut(): void {
    this.down = 'refuse';
    for (const s of this.open) s.resetAndDestroy();
  }

  /** Drops every relayed connection and holds new ones open without an answer. */
  silence(): void {
    this.down = 'silent';
    for (const s of this.open) s.resetAndDestroy();
  }

  /** Lets connections through again (connections held by silence() are dropped). */
  restore(): void {
    if (this.down === 'silent') for (const s of this.open) s.resetAndDestroy();
    this.down = false;
  }

  /**
   * Relays as usual until `bytes` more have come from clients, then holds (as hold()):
   * resolves then. For a test that must stall a transfer part-way, wherever the load puts it.
   */
  holdAfter(bytes: number): Promise<void> {
    return new Promise((resolve) => {
      this.quota = { left: bytes, reached: resolve };
    });
  }

  /** Keeps every connection open but moves no byte either way, until release(). */
  hold(): void {
    this.held = true;
    for (const [a, b] of this.pairs) {
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
    }
  }

  /** Moves bytes again on every connection held. */
  release(): void {
    this.held = false;
    for (const pair of this.pairs) relay(pair);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function relay([client, upstream]: [net.Socket, net.Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}
