// Runs requests against a SavedModel the way TensorFlow Serving does: the C++ loader
// (tensorflow::LoadSavedModel with the "serve" tag) and Session::Run on the tensor names
// of each request's SignatureDef. No Python anywhere in the process.
//
//   saved_model_runner SAVED_MODEL_DIR REQUESTS_FILE RESULTS_FILE
//
// A bad request is answered with its status (code and message) and the next request
// runs; the process never aborts on purpose. Exit codes: 0 every request answered,
// 1 usage, 2 the SavedModel did not load, 3 a malformed requests file, 4 the results
// could not be written.
//
// File formats (little-endian; export/cc_loader/request_file.py writes and reads them):
//   string  = uint32 length, bytes
//   tensor  = string name, string dtype ("uint8", "int32", "float32", ...), int32 rank,
//             int64 dims[rank], uint64 byte count, bytes (C order)
//   requests: "TPCREQ1\n", uint32 count, count x (string signature, uint32 inputs,
//             inputs x tensor)
//   results:  "TPCRES1\n", uint32 signatures, signatures x (string name, string method,
//             uint32 inputs, inputs x (string alias, string dtype, int32 rank (-1: unknown),
//             int64 dims[rank] (-1: any)), uint32 outputs, outputs x (string alias,
//             string dtype)), uint32 responses, responses x (int32 status code (0 OK,
//             3 INVALID_ARGUMENT, ...), string message, uint32 outputs, outputs x tensor)

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tensorflow/cc/saved_model/loader.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/framework/types.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tensorflow/core/public/session.h"

namespace {

using tensorflow::DataType;
using tensorflow::Tensor;

const std::vector<std::pair<std::string, DataType>>& DtypeNames() {
  static const auto* names = new std::vector<std::pair<std::string, DataType>>{
      {"uint8", tensorflow::DT_UINT8},     {"int8", tensorflow::DT_INT8},
      {"uint16", tensorflow::DT_UINT16},   {"int16", tensorflow::DT_INT16},
      {"int32", tensorflow::DT_INT32},     {"int64", tensorflow::DT_INT64},
      {"float16", tensorflow::DT_HALF},    {"float32", tensorflow::DT_FLOAT},
      {"float64", tensorflow::DT_DOUBLE},  {"bool", tensorflow::DT_BOOL},
  };
  return *names;
}

std::string DtypeName(DataType dtype) {
  for (const auto& [name, value] : DtypeNames()) {
    if (value == dtype) return name;
  }
  return "unsupported:" + tensorflow::DataTypeString(dtype);
}

bool DtypeFromName(const std::string& name, DataType* dtype) {
  for (const auto& [known, value] : DtypeNames()) {
    if (known == name) {
      *dtype = value;
      return true;
    }
  }
  return false;
}

// --- Reading and writing the binary files ---------------------------------------------

class Reader {
 public:
  explicit Reader(const std::string& path) : in_(path, std::ios::binary) {
    if (!in_) throw std::runtime_error("cannot open " + path);
  }
  void Bytes(char* data, uint64_t size) {
    if (size > 0 && !in_.read(data, static_cast<std::streamsize>(size))) {
      throw std::runtime_error("truncated requests file");
    }
  }
  template <typename T>
  T Scalar() {
    T value;
    Bytes(reinterpret_cast<char*>(&value), sizeof(T));
    return value;
  }
  std::string String() {
    const uint32_t size = Scalar<uint32_t>();
    if (size > (1u << 20)) throw std::runtime_error("string longer than 1 MiB");
    std::string value(size, '\0');
    Bytes(value.data(), size);
    return value;
  }

 private:
  std::ifstream in_;
};

class Writer {
 public:
  explicit Writer(const std::string& path) : out_(path, std::ios::binary) {
    if (!out_) throw std::runtime_error("cannot write " + path);
  }
  void Bytes(const char* data, uint64_t size) {
    if (size > 0) out_.write(data, static_cast<std::streamsize>(size));
  }
  template <typename T>
  void Scalar(T value) {
    Bytes(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void String(const std::string& value) {
    Scalar<uint32_t>(static_cast<uint32_t>(value.size()));
    Bytes(value.data(), value.size());
  }
  void Close() {
    out_.close();
    if (!out_) throw std::runtime_error("writing the results failed");
  }

 private:
  std::ofstream out_;
};

// One input as read from the file: checked into a Tensor later, so that a bad one is a
// bad request (a status), not a bad file.
struct RawTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> dims;
  std::string data;
};

RawTensor ReadTensor(Reader& reader) {
  RawTensor raw;
  raw.name = reader.String();
  raw.dtype = reader.String();
  const int32_t rank = reader.Scalar<int32_t>();
  if (rank < 0 || rank > 64) throw std::runtime_error("tensor rank outside [0, 64]");
  for (int32_t i = 0; i < rank; ++i) raw.dims.push_back(reader.Scalar<int64_t>());
  const uint64_t size = reader.Scalar<uint64_t>();
  if (size > (uint64_t{1} << 32)) throw std::runtime_error("tensor larger than 4 GiB");
  raw.data.resize(size);
  reader.Bytes(raw.data.data(), size);
  return raw;
}

void WriteTensor(Writer& writer, const std::string& name, const Tensor& tensor) {
  writer.String(name);
  writer.String(DtypeName(tensor.dtype()));
  writer.Scalar<int32_t>(tensor.dims());
  for (int i = 0; i < tensor.dims(); ++i) writer.Scalar<int64_t>(tensor.dim_size(i));
  const bool plain = tensorflow::DataTypeCanUseMemcpy(tensor.dtype());
  const absl::string_view bytes = plain ? tensor.tensor_data() : absl::string_view();
  writer.Scalar<uint64_t>(bytes.size());
  writer.Bytes(bytes.data(), bytes.size());
}

// --- Requests ---------------------------------------------------------------------------

absl::Status MakeTensor(const RawTensor& raw, Tensor* tensor) {
  DataType dtype;
  if (!DtypeFromName(raw.dtype, &dtype)) {
    return absl::InvalidArgumentError("input " + raw.name + ": unsupported dtype " + raw.dtype);
  }
  tensorflow::TensorShape shape;
  absl::Status status = tensorflow::TensorShape::BuildTensorShape(raw.dims, &shape);
  if (!status.ok()) {
    return absl::InvalidArgumentError("input " + raw.name + ": " + std::string(status.message()));
  }
  const uint64_t expected = shape.num_elements() * tensorflow::DataTypeSize(dtype);
  if (raw.data.size() != expected) {
    return absl::InvalidArgumentError(
        "input " + raw.name + ": " + std::to_string(raw.data.size()) + " bytes, but shape " +
        shape.DebugString() + " of " + raw.dtype + " needs " + std::to_string(expected));
  }
  *tensor = Tensor(dtype, shape);
  if (expected > 0) {
    std::memcpy(const_cast<char*>(tensor->tensor_data().data()), raw.data.data(), expected);
  }
  return absl::OkStatus();
}

// What TF Serving's Predict does: map aliases to tensor names, run, return the outputs
// by alias (sorted, as the SignatureDef's map is).
absl::Status RunRequest(const tensorflow::SavedModelBundle& bundle,
                        const std::string& signature_name,
                        const std::vector<RawTensor>& inputs,
                        std::vector<std::pair<std::string, Tensor>>* outputs) {
  const auto& signatures = bundle.meta_graph_def.signature_def();
  const auto found = signatures.find(signature_name);
  if (found == signatures.end()) {
    return absl::NotFoundError("no signature named " + signature_name);
  }
  const tensorflow::SignatureDef& signature = found->second;
  std::vector<std::pair<std::string, Tensor>> feeds;
  for (const RawTensor& raw : inputs) {
    const auto info = signature.inputs().find(raw.name);
    if (info == signature.inputs().end()) {
      return absl::InvalidArgumentError("input tensor alias not found in signature " +
                                        signature_name + ": " + raw.name);
    }
    Tensor tensor;
    absl::Status status = MakeTensor(raw, &tensor);
    if (!status.ok()) return status;
    feeds.emplace_back(info->second.name(), std::move(tensor));
  }
  std::map<std::string, std::string> fetch_by_alias;
  for (const auto& [alias, info] : signature.outputs()) fetch_by_alias[alias] = info.name();
  std::vector<std::string> fetches;
  for (const auto& [alias, name] : fetch_by_alias) fetches.push_back(name);
  std::vector<Tensor> values;
  tensorflow::RunMetadata metadata;
  absl::Status status = bundle.session->Run(tensorflow::RunOptions(), feeds, fetches, {},
                                            &values, &metadata);
  if (!status.ok()) return status;
  size_t index = 0;
  for (const auto& [alias, name] : fetch_by_alias) outputs->emplace_back(alias, values[index++]);
  return absl::OkStatus();
}

void WriteSignatures(Writer& writer, const tensorflow::SavedModelBundle& bundle) {
  std::map<std::string, const tensorflow::SignatureDef*> sorted;
  for (const auto& [name, signature] : bundle.meta_graph_def.signature_def()) {
    sorted[name] = &signature;
  }
  writer.Scalar<uint32_t>(static_cast<uint32_t>(sorted.size()));
  for (const auto& [name, signature] : sorted) {
    writer.String(name);
    writer.String(signature->method_name());
    // Sorted by alias, as the Python loaders list them.
    std::map<std::string, tensorflow::TensorInfo> in(signature->inputs().begin(),
                                                     signature->inputs().end());
    writer.Scalar<uint32_t>(static_cast<uint32_t>(in.size()));
    for (const auto& [alias, info] : in) {
      writer.String(alias);
      writer.String(DtypeName(info.dtype()));
      const auto& shape = info.tensor_shape();
      writer.Scalar<int32_t>(shape.unknown_rank() ? -1 : shape.dim_size());
      if (!shape.unknown_rank()) {
        for (const auto& dim : shape.dim()) writer.Scalar<int64_t>(dim.size());
      }
    }
    std::map<std::string, tensorflow::TensorInfo> out(signature->outputs().begin(),
                                                      signature->outputs().end());
    writer.Scalar<uint32_t>(static_cast<uint32_t>(out.size()));
    for (const auto& [alias, info] : out) {
      writer.String(alias);
      writer.String(DtypeName(info.dtype()));
    }
  }
}

int Main(const std::string& saved_model_dir, const std::string& requests_path,
         const std::string& results_path) {
  std::vector<std::pair<std::string, std::vector<RawTensor>>> requests;
  try {
    Reader reader(requests_path);
    char magic[8];
    reader.Bytes(magic, sizeof(magic));
    if (std::memcmp(magic, "TPCREQ1\n", sizeof(magic)) != 0) {
      throw std::runtime_error("not a requests file (magic TPCREQ1)");
    }
    const uint32_t count = reader.Scalar<uint32_t>();
    for (uint32_t r = 0; r < count; ++r) {
      std::string signature = reader.String();
      const uint32_t num_inputs = reader.Scalar<uint32_t>();
      std::vector<RawTensor> inputs;
      for (uint32_t i = 0; i < num_inputs; ++i) inputs.push_back(ReadTensor(reader));
      requests.emplace_back(std::move(signature), std::move(inputs));
    }
  } catch (const std::exception& error) {
    std::cerr << "malformed requests file " << requests_path << ": " << error.what() << "\n";
    return 3;
  }

  tensorflow::SavedModelBundle bundle;
  const absl::Status loaded = tensorflow::LoadSavedModel(
      tensorflow::SessionOptions(), tensorflow::RunOptions(), saved_model_dir, {"serve"},
      &bundle);
  if (!loaded.ok()) {
    std::cerr << "could not load " << saved_model_dir << ": " << loaded << "\n";
    return 2;
  }

  Writer writer(results_path);
  writer.Bytes("TPCRES1\n", 8);
  WriteSignatures(writer, bundle);
  writer.Scalar<uint32_t>(static_cast<uint32_t>(requests.size()));
  for (size_t r = 0; r < requests.size(); ++r) {
    const auto& [signature, inputs] = requests[r];
    std::vector<std::pair<std::string, Tensor>> outputs;
    const absl::Status status = RunRequest(bundle, signature, inputs, &outputs);
    std::cout << "request " << r << " (" << signature << "): "
              << (status.ok() ? "OK" : status.ToString()) << "\n";
    writer.Scalar<int32_t>(static_cast<int32_t>(status.code()));
    writer.String(std::string(status.message()));
    writer.Scalar<uint32_t>(static_cast<uint32_t>(outputs.size()));
    for (const auto& [alias, tensor] : outputs) WriteTensor(writer, alias, tensor);
  }
  writer.Close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: " << argv[0] << " SAVED_MODEL_DIR REQUESTS_FILE RESULTS_FILE\n";
    return 1;
  }
  try {
    return Main(argv[1], argv[2], argv[3]);
  } catch (const std::exception& error) {
    std::cerr << "error: " << error.what() << "\n";
    return 4;
  }
}
