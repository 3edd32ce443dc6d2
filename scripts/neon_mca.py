#!/usr/bin/env python3
"""Static throughput estimate of mnc's generated NEON GEMM inner loops.

Without arm64 hardware the int8 kernels' speed cannot be measured (qemu's
timings mean nothing), so this builds the arm64 kernels test binary, takes
the inner loop of each kernel below from its disassembly (llvm-objdump) and
runs LLVM's machine-code analyzer on it (llvm-mca, Debian package llvm):
cycles per iteration and multiply-adds per cycle, per CPU model. A model,
not a measurement: LLVM 14 has its own scheduling models for the Cortex-A53
and A55 (in-order) and Apple's Cyclone family (apple-m1); cortex-a76,
neoverse-n1 and most others fall back to the Cortex-A57 model.

    python3 scripts/neon_mca.py [CPU...]     # default: cortex-a53 cortex-a55 apple-m1
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# symbol, loop index (0 = the first backward branch), what, multiply-adds per iteration
KERNELS = [
    ("Gemm8x12NEON", 0, "fp32 8x12 FMLA (4 k)", 8 * 12 * 4),
    ("GemmU8S8x4x16SDOT", 0, "int8 4x16 SDOT (16 k)", 4 * 16 * 16),
    ("GemmU8S8x4x16SUDOT", 0, "int8 4x16 SUDOT (16 k)", 4 * 16 * 16),
    ("GemmU8S8x2x16NEON", 0, "int8 2x16 SMULL (4 k)", 2 * 16 * 4),
    ("DWConv3x3s1NEON", 0, "fp32 dw 3x3 (4 ch, 8 px, 1 row)", 4 * 8 * 3),
    ("QDWConv3x3NEON", 0, "int8 dw 3x3 (16 ch, 2 px)", 16 * 9 * 2),
    ("QDWConv3x3s1NEON", 0, "int8 dw 3x3 s1 (16 ch, 2 px)", 16 * 9 * 2),
    ("QDWConv5x5NEON", 0, "int8 dw 5x5 (16 ch, 2 px)", 16 * 25 * 2),
    ("QDWConv5x5s1NEON", 0, "int8 dw 5x5 s1 (16 ch, 2 px)", 16 * 25 * 2),
    ("QDWConv3x3s2NEON", 0, "int8 dw 3x3 s2 (16 ch, 2 px)", 16 * 9 * 2),
    ("QDWConv5x5s2NEON", 0, "int8 dw 5x5 s2 (16 ch, 2 px)", 16 * 25 * 2),
]


def loop_body(binary, sym, which):
    out = subprocess.run(
        ["llvm-objdump", "-d", "--mattr=+dotprod,+i8mm", "--no-show-raw-insn", binary,
         "--disassemble-symbols=github.com/mnc-go/mnc/asm.%s.abi0" % sym],
        capture_output=True, text=True, check=True).stdout
    insts = []
    for line in out.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\s+(.*)", line)
        if m:
            insts.append((int(m.group(1), 16), m.group(2).split("<")[0].strip()))
    loops = []
    for addr, text in insts:
        m = re.match(r"(b\.\w+|cbnz|cbz)\s.*?0x([0-9a-f]+)", text)
        if m and int(m.group(2), 16) < addr:
            loops.append((int(m.group(2), 16), addr))
    if len(loops) <= which:
        sys.exit("%s: no loop %d in the disassembly" % (sym, which))
    start, end = loops[which]
    body = []
    for addr, text in insts:
        if start <= addr <= end:
            if text.startswith("b"):  # the back edge, to a local label
                text = re.sub(r"0x[0-9a-f]+$", ".Lloop", text)
            body.append(text)
    return ".Lloop:\n" + "\n".join(body) + "\n"


def cycles(src, cpu):
    r = subprocess.run(["llvm-mca", "-mtriple=aarch64", "-mcpu=" + cpu, "-mattr=+dotprod,+i8mm",
                        "-iterations=200"], input=src, capture_output=True, text=True)
    if r.returncode:
        return None
    it = int(re.search(r"Iterations:\s+(\d+)", r.stdout).group(1))
    return int(re.search(r"Total Cycles:\s+(\d+)", r.stdout).group(1)) / it


def main():
    for tool in ("llvm-objdump", "llvm-mca"):
        if not shutil.which(tool):
            sys.exit("%s not found (Debian package llvm)" % tool)
    cpus = sys.argv[1:] or ["cortex-a53", "cortex-a55", "apple-m1"]
    root = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                          check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "kernels.test")
        env = dict(os.environ, GOARCH="arm64")
        subprocess.run(["go", "test", "-c", "-o", binary, "./kernels"], cwd=root, env=env, check=True)
        bodies = [(what, macs, loop_body(binary, sym, which)) for sym, which, what, macs in KERNELS]
        print("%-12s %-24s %10s %10s" % ("cpu", "loop", "cyc/iter", "MAC/cycle"))
        for cpu in cpus:
            for what, macs, src in bodies:
                c = cycles(src, cpu)
                if c is None:
                    print("%-12s %-24s %10s" % (cpu, what, "n/a"))
                else:
                    print("%-12s %-24s %10.1f %10.1f" % (cpu, what, c, macs / c))


if __name__ == "__main__":
    main()
