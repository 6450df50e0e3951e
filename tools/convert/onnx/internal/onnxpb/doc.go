// Package onnxpb holds the Go types of the ONNX protobuf schema, generated
// from onnx.proto with protoc-gen-go. Do not edit onnx.pb.go: change the
// generator or the schema and run `go generate`.
//
// The importer does not decode files through these types (a message per
// record costs far more than the record's bytes; see ../../records.go): it
// uses their enums, and the tests write models with them.
//
// onnx.proto is the official schema of ONNX 1.12 (IR version 8, opsets up
// to 17), copied unmodified from Debian bookworm's python3-onnx 1.12.0
// (/usr/lib/python3/dist-packages/onnx/onnx.proto). It is © the ONNX
// Project Contributors under the Apache License 2.0 (the file's
// SPDX-License-Identifier); LICENSE beside it is that license.
//
// Regenerating needs protoc (Debian's protobuf-compiler) and protoc-gen-go at
// the google.golang.org/protobuf version in go.mod, on PATH:
//
//	apt-get install -y protobuf-compiler
//	go install google.golang.org/protobuf/cmd/protoc-gen-go
//	go generate ./tools/convert/onnx/...
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb onnx.proto
