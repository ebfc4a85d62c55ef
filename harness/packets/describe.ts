// One line per frame, in the spirit of `tcpdump -n`, for failure diagnostics.
import type { Frame } from './decode.ts';

function describeL3(frame: Frame): string {
  if (frame.arp) {
    const a = frame.arp;
    if (a.op === 'request') return `ARP request who-has ${a.targetIp} tell ${a.senderIp}`;
    if (a.op === 'reply') return `ARP reply ${a.senderIp} is-at ${a.senderMac}`;
    return `ARP op ${a.op}`;
  }
  if (frame.ip) {
    const ip = frame.ip;
    if (frame.udp) {
      const head = `IP ${ip.src}.${frame.udp.srcPort} > ${ip.dst}.${frame.udp.dstPort}: UDP`;
      if (frame.vxlan) {
        const inner = frame.inner ? describeFrame(frame.inner) : '(no inner frame)';
        return `${head} VXLAN flags 0x${frame.vxlan.flags.toString(16).padStart(2, '0')} vni ${frame.vxlan.vni} [${inner}]`;
      }
      return `${head}, length ${frame.udp.length}`;
    }
    if (frame.icmp) {
      const i = frame.icmp;
      const seq = i.seq === undefined ? '' : `, id ${i.id}, seq ${i.seq}`;
      return `IP ${ip.src} > ${ip.dst}: ICMP ${typeof i.type === 'number' ? `type ${i.type}` : i.type}${i.code ? ` code ${i.code}` : ''}${seq}${ip.df ? ' DF' : ''}, length ${ip.length}`;
    }
    return `IP ${ip.src} > ${ip.dst}: ${ip.protocol}, length ${ip.length}`;
  }
  return frame.eth.type;
}

export function describeFrame(frame: Frame): string {
  return `${frame.eth.src} > ${frame.eth.dst} ${describeL3(frame)}${frame.problem ? ` (${frame.problem})` : ''}`;
}
