// Package onnxpb holds the Go types of ONNX's protobuf schema (onnx.proto,
// copied unchanged from ONNX as shipped by Debian's python3-onnx), generated
// by protoc-gen-go v1.36.12. The generated file is committed so that building
// mnc does not need protoc.
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/mnc-go/mnc/frontend/onnx/onnxpb onnx.proto
