package kernels

// fillGeneric puts the pure-Go kernels in every field; fillArch then
// overrides the fields an ISA has generated kernels for.
func fillGeneric(s *Set) {
	fillGemmGeneric(s)
	fillDWGeneric(s)
	fillConvGeneric(s)
	fillMiscGeneric(s)
	fillQDWGeneric(s)
	fillQConv(s)
	s.Quantize, s.QAdd, s.QAddU8, s.LUTBytes = quantizeGeneric, qaddGeneric, qaddU8Generic, lutBytesGeneric
}
