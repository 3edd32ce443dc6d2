package main

import (
	"fmt"
	"strings"

	"github.com/mnc-go/mnc/codegen/neon/enc"
)

// Int8 GEMM kernels for kernels.GemmU8S8 / QGemmU8S8 on arm64:
//
//	C[i][j] = Σ_p A[i][p]·W[j][p]   A uint8, W int8, exact int32
//
// B is kernels.PackGemmS8's layout: panels of 32 columns, per group of 4
// inputs 32 columns × 4 bytes (128 bytes). A kernel covers one half panel
// (16 columns: 64 bytes per group, groups 128 bytes apart) and MR rows.
//
// NEON has no u8×s8 multiply, so both kernels flip A's sign bit: a ^ 0x80
// = a − 128 as a signed byte, and Σ a·w = Σ (a−128)·w + 128·Σ w. The
// second term is per column and known at pack time (PackGemmS8 stores
// 128·Σ_p W[j][p] after the panels); the Go wrapper passes it (minus
// QGemm's compensation) as `init`, the accumulators' starting value. So
// the trick costs one EOR per 16 bytes of A and nothing per column. (UDOT
// with w+128 would need Σa per row at run time instead.) Where the CPU has
// FEAT_I8MM (ARMv8.6: Cortex-A710/X2, Neoverse V1/N2), SUDOT by element
// multiplies s8 B by u8 A directly: the same kernel without the EOR, and
// init without the sums.
//
//   - GemmU8S8x<MR>x16SDOT (MR = 1..4; ARMv8.2 dot product, HasASIMDDP):
//     SDOT by element, acc(i, j) += B_j · A_i.4b[lane]: each SDOT does 16
//     multiply-adds (4 columns × 4 inputs).
//     Register plan (MR = 4): v16–v31 accumulators acc(i, j) =
//     v(16 + 4i + j), row i, columns 4j..4j+3; v0–v3 A (16 bytes = 4 groups
//     of row i); v4–v7 and v9–v12 B (one group, 16 columns, double
//     buffered); v8 = 0x80 bytes.
//     Per 4 groups: 4 A loads + 4 EOR, 16 B loads of 16 bytes, 64 SDOT.
//   - GemmU8S8x<MR>x16SUDOT (MR = 1..4; HasI8MM): the same with SUDOT.
//   - GemmU8S8x<MR>x16NEON (MR = 1..2; ARMv8.0): SMULL/SMULL2 of the
//     signed bytes ((a−128)·w ∈ [−16256, 16384] fits int16) and SADALP
//     into int32 pairs: acc(i, m) = v(16 + 8i + m) holds, for columns
//     c = 4·(m/2) + 2·(m%2) and c+1, the sums over inputs {0,1} and {2,3}
//     of each group; ADDP reduces them to 4 columns per register at the
//     end. v0–v1 A (4 bytes replicated by LD1R), v4–v7 B, v8 = 0x80,
//     v2, v3, v9–v14 products. Per group and row: 8 SMULL(2) + 8 SADALP for
//     64 multiply-adds.
//
// The q variants requantize like kernels.requantRow: float32(acc) (acc
// already minus the compensation, through init), ×mult[j], FCVTNS (round
// to nearest even), then in int16: +zp and the clamp to [lo, hi] (see
// genInt8), and narrow to bytes with UZP1: 16 bytes per row.
//
// Arguments: kq (groups), a, lda (bytes), b (half-panel start), init (16
// int32), [mult (16 float32), ep (zp, lo, hi as int16)], c, ldc
// (in elements: int32 or bytes), tiles (≥ 1 tiles of MR rows: A and C
// advance by MR rows per tile).

const (
	int8SDOTMaxMR = 4
	int8NEONMaxMR = 2
)

func int8Name(q bool, mr int, kind string) string {
	p := "Gemm"
	if q {
		p = "QGemm"
	}
	return fmt.Sprintf("%sU8S8x%dx16%s", p, mr, strings.ToUpper(kind))
}

// int8Kernels is the inventory, in the order the dispatchers list them.
func int8Kernels() []*Func {
	var fs []*Func
	for _, q := range []bool{false, true} {
		for _, kind := range []string{"sdot", "sudot"} {
			for mr := 1; mr <= int8SDOTMaxMR; mr++ {
				fs = append(fs, genInt8(q, mr, kind))
			}
		}
		for mr := 1; mr <= int8NEONMaxMR; mr++ {
			fs = append(fs, genInt8(q, mr, "neon"))
		}
	}
	return append(fs, genSDOTPeak())
}

func genInt8(q bool, mr int, kind string) *Func {
	sdot := kind != "neon" // a dot-product kernel: SDOT or SUDOT
	sudot := kind == "sudot"
	args := []string{"kq int", "a *uint8", "lda int", "b *int8", "init *int32"}
	if q {
		args = append(args, "mult *float32", "ep *int16", "c *uint8")
	} else {
		args = append(args, "c *int32")
	}
	args = append(args, "ldc int", "tiles int")
	f := newFunc(int8Name(q, mr, kind), args...)
	what := "int32 sums"
	if q {
		what = "sums requantized to bytes"
	}
	insn := map[string]string{"sdot": "SDOT (ARMv8.2 dot product)", "sudot": "SUDOT (ARMv8.6 I8MM: u8 A directly)",
		"neon": "SMULL/SADALP (ARMv8.0)"}[kind]
	f.Doc = []string{
		fmt.Sprintf("%d rows × 16 columns of u8 A times packed s8 B over 4·kq inputs, %s, with %s; loops over tiles row tiles.", mr, what, insn),
	}
	const (
		rKq, rA, rLda, rB, rInit = 0, 1, 2, 3, 4
		rBRun, rKCnt, rRow       = 21, 22, 23
		rStride, rTileA          = 24, 25
	)
	rMult, rEp, rC, rLdc, rTiles := 5, 6, 7, 8, 9
	if !q {
		rC, rLdc, rTiles = 5, 6, 7
	}
	rowPtr := []int{12, 13, 14, 15}
	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	if !q {
		f.I("LSL $2, R%d, R%d", rLdc, rLdc)
	}
	f.I("MOVD $%d, R%d", mr, rTileA)
	f.I("MUL R%d, R%d, R%d", rLda, rTileA, rTileA)
	f.I("MOVD $128, R%d", rStride)
	if !sudot {
		f.Comment("v8 = 0x80 in every byte: a ^ 0x80 = a − 128 as a signed byte")
		f.I("VMOVI $128, V8.B16")
	}

	acc := func(i, j int) int { return 16 + 4*i + j } // the 4 result registers of row i
	bReg := seq(4, 4)

	f.Label("tile")
	if sdot {
		f.Comment("accumulators start at init (128·Σw for SDOT, minus QGemm's compensation)")
		f.I("VLD1 (R%d), %s", rInit, VList(0, 1, 2, 3))
		for i := 0; i < mr; i++ {
			for j := 0; j < 4; j++ {
				f.vmov(j, acc(i, j))
			}
		}
	} else {
		for i := 0; i < mr; i++ {
			for m := 0; m < 8; m++ {
				f.zero(16 + 8*i + m)
			}
		}
	}
	f.I("MOVD R%d, R%d", rA, rowPtr[0])
	for i := 1; i < mr; i++ {
		f.I("ADD R%d, R%d, R%d", rLda, rowPtr[i-1], rowPtr[i])
	}
	f.I("MOVD R%d, R%d", rB, rBRun)
	loadBInto := func(r int) {
		f.I("VLD1.P (R%d)(R%d), [V%d.B16, V%d.B16, V%d.B16, V%d.B16]", rBRun, rStride, r, r+1, r+2, r+3)
	}
	loadB := func() { loadBInto(4) }
	flip := func(r int) {
		if !sudot {
			f.I("VEOR V8.B16, %s, %s", VB(r), VB(r))
		}
	}
	dot := func(d, n, m, lane int) {
		if sudot {
			f.W(enc.SUDOTElem(d, n, m, lane))
		} else {
			f.W(enc.SDOTElem(d, n, m, lane))
		}
	}

	if sdot {
		f.I("SUBS $4, R%d, R%d", rKq, rKCnt)
		f.I("BLT gtail")
		f.Label("g4")
		for i := 0; i < mr; i++ {
			f.I("FMOVQ.P 16(R%d), F%d", rowPtr[i], i)
		}
		for i := 0; i < mr; i++ {
			flip(i)
		}
		// B double-buffered in v4–v7 / v9–v12, one 16-byte LDR per
		// register, the next group's spread between this group's dot
		// products: no load is used at once and loads pair with SDOTs on
		// in-order cores (llvm-mca's Cortex-A55 model: 97 → 70 cycles per
		// 4 groups at MR = 4; the same on the out-of-order models).
		bSet := [2]int{4, 9}
		for j := 0; j < 4; j++ {
			f.I("FMOVQ %d(R%d), F%d", 16*j, rBRun, bSet[0]+j)
		}
		for lane := 0; lane < 4; lane++ {
			for i := 0; i < mr; i++ {
				for j := 0; j < 4; j++ {
					dot(acc(i, j), bSet[lane%2]+j, i, lane)
				}
				if lane < 3 {
					for r := i; r < 4; r += mr { // all 4 registers, also when mr < 4
						f.I("FMOVQ %d(R%d), F%d", 128*(lane+1)+16*r, rBRun, bSet[(lane+1)%2]+r)
					}
				}
			}
		}
		f.I("ADD $512, R%d, R%d", rBRun, rBRun)
		f.I("SUBS $4, R%d, R%d", rKCnt, rKCnt)
		f.I("BGE g4")
		f.Label("gtail")
		f.I("ADDS $4, R%d, R%d", rKCnt, rKCnt)
		f.I("BEQ epilogue")
		f.Label("g1")
		for i := 0; i < mr; i++ {
			f.I("FMOVS.P 4(R%d), F%d", rowPtr[i], i)
		}
		for i := 0; i < mr; i++ {
			flip(i)
		}
		loadB()
		for i := 0; i < mr; i++ {
			for j := 0; j < 4; j++ {
				dot(acc(i, j), bReg[j], i, 0)
			}
		}
		f.I("SUBS $1, R%d, R%d", rKCnt, rKCnt)
		f.I("BNE g1")
		f.Label("epilogue")
	} else {
		temps := [2][]int{{2, 3, 9, 10}, {11, 12, 13, 14}}
		f.I("MOVD R%d, R%d", rKq, rKCnt)
		f.Label("g1")
		for i := 0; i < mr; i++ {
			f.I("VLD1R.P 4(R%d), [%s]", rowPtr[i], V(i))
		}
		for i := 0; i < mr; i++ {
			flip(i)
		}
		loadB()
		// Products of column quad j+1 are issued before the accumulation
		// of quad j (two temp sets), so no SADALP waits on the multiply
		// just before it (in-order cores such as the Cortex-A53).
		mul := func(j int) {
			t := temps[j%2]
			for i := 0; i < mr; i++ {
				f.W(enc.SMULL(t[2*i], bReg[j], i))
				f.W(enc.SMULL2(t[2*i+1], bReg[j], i))
			}
		}
		accum := func(j int) {
			t := temps[j%2]
			for i := 0; i < mr; i++ {
				f.W(enc.SADALP(16+8*i+2*j, t[2*i]))
				f.W(enc.SADALP(16+8*i+2*j+1, t[2*i+1]))
			}
		}
		mul(0)
		for j := 0; j < 4; j++ {
			if j < 3 {
				mul(j + 1)
			}
			accum(j)
		}
		f.I("SUBS $1, R%d, R%d", rKCnt, rKCnt)
		f.I("BNE g1")
		f.Comment("reduce the pairs (ADDP: 4 columns per register) and add init")
		for i := 0; i < mr; i++ {
			for j := 0; j < 4; j++ {
				f.I("VADDP %s, %s, %s", V(16+8*i+2*j+1), V(16+8*i+2*j), V(acc(i, j)))
			}
		}
		f.I("VLD1 (R%d), %s", rInit, VList(0, 1, 2, 3))
		for i := 0; i < mr; i++ {
			for j := 0; j < 4; j++ {
				f.I("VADD %s, %s, %s", V(j), V(acc(i, j)), V(acc(i, j)))
			}
		}
	}

	f.I("MOVD R%d, R%d", rC, rRow)
	if q {
		f.Comment("requantize: mult in v0–v3; zp, lo, hi (int16) in v4, v5, v6")
		f.I("VLD1 (R%d), %s", rMult, VList(0, 1, 2, 3))
		f.I("VLD1R (R%d), [V4.H8]", rEp)
		for r := 1; r < 3; r++ {
			f.I("ADD $%d, R%d, R%d", 2*r, rEp, rBRun)
			f.I("VLD1R (R%d), [V%d.H8]", rBRun, 4+r)
		}
		// y = clamp(roundEven(float32(acc)·mult) + zp, lo, hi): FCVTNS
		// rounds (saturating to int32), SQXTN(2) saturates to int16, SQADD
		// adds zp saturating, SMAX/SMIN clamp. Equal to requantRow's clamp
		// in float32 before rounding: lo−zp and hi−zp are integers, so
		// rounding and the clamp commute, and every saturation happens
		// beyond [lo, hi] ⊂ [−128, 255] in the direction of the clamp.
		// Each step runs over all accumulators before the next: mr·4
		// independent chains, so in-order cores do not wait on the
		// latency of the step before (llvm-mca's Cortex-A55 model: 163 →
		// 110 cycles per 4×16 tile against a float clamp one row at a time).
		step := func(emit func(a, j int)) {
			for i := 0; i < mr; i++ {
				for j := 0; j < 4; j++ {
					emit(acc(i, j), j)
				}
			}
		}
		step(func(a, j int) { f.W(enc.SCVTF(a, a)) })
		step(func(a, j int) { f.W(enc.FMUL(a, a, j)) })
		step(func(a, j int) { f.W(enc.FCVTNS(a, a)) })
		// columns 0–7 of row i into acc(i, 0).8h, 8–15 into acc(i, 2).8h
		half := func(emit func(h int)) {
			for i := 0; i < mr; i++ {
				emit(acc(i, 0))
				emit(acc(i, 2))
			}
		}
		half(func(h int) { f.W(enc.SQXTN(h, h)) })
		half(func(h int) { f.W(enc.SQXTN2(h, h+1)) })
		half(func(h int) { f.W(enc.SQADD8H(h, h, 4)) })
		half(func(h int) { f.W(enc.SMAX8H(h, h, 5)) })
		half(func(h int) { f.W(enc.SMIN8H(h, h, 6)) })
		f.Comment("the low byte of each int16: 16 bytes per row")
		for i := 0; i < mr; i++ {
			f.I("VUZP1 V%d.B16, V%d.B16, V%d.B16", acc(i, 2), acc(i, 0), acc(i, 0))
		}
		for i := 0; i < mr; i++ {
			f.I("VST1 [%s], (R%d)", VB(acc(i, 0)), rRow)
			f.I("ADD R%d, R%d, R%d", rLdc, rRow, rRow)
		}
	} else {
		for i := 0; i < mr; i++ {
			f.I("VST1 %s, (R%d)", VList(acc(i, 0), acc(i, 1), acc(i, 2), acc(i, 3)), rRow)
			f.I("ADD R%d, R%d, R%d", rLdc, rRow, rRow)
		}
	}
	f.I("MOVD R%d, R%d", rRow, rC)
	f.I("ADD R%d, R%d, R%d", rTileA, rA, rA)
	f.I("SUBS $1, R%d, R%d", rTiles, rTiles)
	f.I("BGT tile")
	f.I("RET")
	return f
}

// int8Tables emits the dispatchers GemmU8S8SDOT, GemmU8S8SUDOT, GemmU8S8NEON and their
// QGemm twins: a switch on mr of direct calls (see tables).
func int8Tables() string {
	var b strings.Builder
	b.WriteString("// The NEON int8 GEMM inventory (codegen/neon/int8.go), read by\n// kernels/gemm_int8_arm64.go: per family the rows of its tallest tile\n// (its dispatcher takes mr = 1 up to them), and the tallest of all.\nconst (\n")
	for _, kind := range []string{"sdot", "sudot", "neon"} {
		maxMR := map[string]int{"sdot": int8SDOTMaxMR, "sudot": int8SDOTMaxMR, "neon": int8NEONMaxMR}[kind]
		fmt.Fprintf(&b, "\tGemmU8S8Rows%s = %d // %s\n", strings.ToUpper(kind), maxMR, int8Name(false, maxMR, kind))
	}
	fmt.Fprintf(&b, "\tGemmU8S8MaxRows = %d\n)\n\n", max(int8SDOTMaxMR, int8NEONMaxMR))
	for _, q := range []bool{false, true} {
		for _, kind := range []string{"sdot", "sudot", "neon"} {
			maxMR := map[string]int{"sdot": int8SDOTMaxMR, "sudot": int8SDOTMaxMR, "neon": int8NEONMaxMR}[kind]
			name := strings.Replace(int8Name(q, 1, kind), "x1x16", "", 1)
			params, call := "kq int, a *uint8, lda int, b *int8, init *int32, c *int32, ldc int, tiles int", "kq, a, lda, b, init, c, ldc, tiles"
			if q {
				params = "kq int, a *uint8, lda int, b *int8, init *int32, mult *float32, ep *int16, c *uint8, ldc int, tiles int"
				call = "kq, a, lda, b, init, mult, ep, c, ldc, tiles"
			}
			fmt.Fprintf(&b, "// %s calls %s (mr = 1..%d).\nfunc %s(mr int, %s) {\n\tswitch mr {\n",
				name, strings.Replace(int8Name(q, 1, kind), "x1x", "x<mr>x", 1), maxMR, name, params)
			for mr := 1; mr <= maxMR; mr++ {
				fmt.Fprintf(&b, "\tcase %d:\n\t\t%s(%s)\n", mr, int8Name(q, mr, kind), call)
			}
			fmt.Fprintf(&b, "\tdefault:\n\t\tpanic(\"asm: no %s kernel for this mr\")\n\t}\n}\n\n", name)
		}
	}
	return b.String()
}

// genSDOTPeak is the SDOT-throughput loop (independent accumulators, no
// memory traffic): the int8 ceiling BenchmarkGemmU8S8 reports against on a
// CPU with the dot-product extension.
func genSDOTPeak() *Func {
	f := newFunc("DotPeakSDOT", "n int")
	f.Doc = []string{"n iterations of 24 independent SDOT by element (384 int8 multiply-adds per iteration); needs the dot-product extension."}
	f.LoadArg("n", 0)
	f.I("CBZ R0, done")
	for r := 0; r < 26; r++ {
		f.zero(r)
	}
	f.Label("loop")
	for r := 0; r < 24; r++ {
		f.W(enc.SDOTElem(r, 24, 25, r%4))
	}
	f.I("SUBS $1, R0, R0")
	f.I("BNE loop")
	f.Label("done")
	f.I("RET")
	return f
}
