// Package asm holds generated kernels; see codegen/. DO NOT EDIT the .s files.
package asm
