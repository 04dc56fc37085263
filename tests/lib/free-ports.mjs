// Prints N free loopback ports, space separated (for make and shell scripts).
import net from 'node:net';
const n = Number(process.argv[2] ?? 1);
const servers = [];
for (let i = 0; i < n; i++) {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
}
console.log(servers.map((s) => s.address().port).join(' '));
for (const s of servers) s.close();
