// The lines of `ip -batch` that give a node's NIC its lab address, shared by every backend so
// that a node looks the same to the tutorial's commands wherever it runs.
import type { Nic } from '../lab/model.ts';

export function nicAddressLines(nic: Nic): string[] {
  return [`addr add ${nic.address}/${nic.prefixLength} dev ${nic.name}`, `link set dev ${nic.name} up`, 'link set dev lo up'];
}
