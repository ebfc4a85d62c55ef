// The dynamic loader a program names (its ELF PT_INTERP), which `ldd` runs with
// LD_TRACE_LOADED_OBJECTS=1 to list the program's libraries. Pure: reads the bytes it is given.

const PT_INTERP = 3;

export type InterpreterReading =
  /** The loader's path; undefined for a static program (or a file that is not ELF: no libraries either way). */
  | { interpreter: string | undefined }
  /** The header points past these bytes: read this many from the start and ask again. */
  | { needBytes: number };

/** What the ELF header and program headers in `head` (the file's first bytes) say of its loader. */
export function readInterpreter(head: Uint8Array): InterpreterReading {
  if (head.length < 52 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return { interpreter: undefined };
  const wide = head[4] === 2; // ELFCLASS64
  const little = head[5] === 1; // ELFDATA2LSB
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const word = (at: number) => (wide ? Number(view.getBigUint64(at, little)) : u32(at));
  if (wide && head.length < 64) return { needBytes: 64 };
  const phoff = word(wide ? 32 : 28);
  const phentsize = u16(wide ? 54 : 42);
  const phnum = u16(wide ? 56 : 44);
  const tableEnd = phoff + phentsize * phnum;
  if (tableEnd > head.length) return { needBytes: tableEnd };
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (u32(at) !== PT_INTERP) continue;
    const offset = word(at + (wide ? 8 : 4));
    const size = word(at + (wide ? 32 : 16));
    if (offset + size > head.length) return { needBytes: offset + size };
    const text = new TextDecoder().decode(head.subarray(offset, offset + size));
    return { interpreter: text.replace(/\0.*$/s, '') };
  }
  return { interpreter: undefined };
}
