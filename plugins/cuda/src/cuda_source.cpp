#include "cuda_source.h"

#include <cctype>
#include <cstdio>
#include <sstream>

#include "hetrun/plugin.hpp"

namespace hetrun::cuda {
namespace {

[[noreturn]] void ThrowUnknown(const std::string& what, const std::string& line) {
  throw plugin::Error(HETRUN_STATUS_INTERNAL,
                      what + ": the CUDA translation does not know the GLSL header line '" + line +
                          "' (the generator's header changed?)");
}

bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// The C++ pointer element type of a binding's GLSL type, in namespace hr_glsl.
bool KnownElementType(const std::string& type) {
  return type == "float" || type == "int" || type == "uint" || type == "int64_t" || type == "uvec2";
}

}  // namespace

KernelHeader ParseHeader(const std::string& glsl, const std::string& what) {
  // Each line is read with sscanf and then written back the way the generator writes it: a line
  // that differs in any character is unknown.
  KernelHeader header;
  bool have_local = false;
  std::istringstream lines(glsl);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("#version", 0) == 0 || line.rfind("#extension", 0) == 0) continue;
    if (line.rfind("layout", 0) != 0) continue;
    unsigned x = 0, y = 0, z = 0, binding = 0, block = 0, name = 0;
    char type[32] = {};
    const size_t j = header.bindings.size();
    if (std::sscanf(line.c_str(), "layout(local_size_x = %u, local_size_y = %u, local_size_z = %u)",
                    &x, &y, &z) == 3) {
      if (line != "layout(local_size_x = " + std::to_string(x) + ", local_size_y = " +
                      std::to_string(y) + ", local_size_z = " + std::to_string(z) + ") in;" ||
          x == 0 || y == 0 || z == 0) {
        ThrowUnknown(what, line);
      }
      header.local_size[0] = x;
      header.local_size[1] = y;
      header.local_size[2] = z;
      have_local = true;
    } else if (std::sscanf(line.c_str(), "layout(std430, set = 0, binding = %u)", &binding) == 1) {
      const bool readonly = line.find(") readonly buffer B") != std::string::npos;
      const char* rest = line.c_str() + line.find(" buffer B");
      if (std::sscanf(rest, " buffer B%u { %31s d[]; } b%u;", &block, type, &name) != 3 ||
          binding != j || block != j || name != j || !KnownElementType(type)) {
        ThrowUnknown(what, line);
      }
      const std::string b = std::to_string(j);
      if (line != "layout(std430, set = 0, binding = " + b + ") " + (readonly ? "readonly " : "") +
                      "buffer B" + b + " { " + type + " d[]; } b" + b + ";") {
        ThrowUnknown(what, line);
      }
      header.bindings.push_back({type, readonly});
    } else if (line.rfind("layout(push_constant) uniform Offsets {", 0) == 0) {
      std::string expected = "layout(push_constant) uniform Offsets {";
      for (size_t o = 0; o < j; ++o) expected += " uint o" + std::to_string(o) + ";";
      if (j == 0 || line != expected + " } pc;") ThrowUnknown(what, line);
      header.push_constants = true;
    } else {
      ThrowUnknown(what, line);
    }
  }
  if (!have_local) ThrowUnknown(what, "(no local size)");
  return header;
}

std::string SuffixLiterals(const std::string& code) {
  std::string out;
  out.reserve(code.size() + code.size() / 16);
  size_t i = 0;
  const size_t n = code.size();
  while (i < n) {
    const char c = code[i];
    if (IsIdentifierChar(c) && std::isdigit(static_cast<unsigned char>(c)) == 0) {
      const size_t start = i;  // an identifier: its digits are not literals (b0, o12)
      while (i < n && IsIdentifierChar(code[i])) ++i;
      out.append(code, start, i - start);
      continue;
    }
    const bool number =
        std::isdigit(static_cast<unsigned char>(c)) != 0 ||
        (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(code[i + 1])));
    if (!number) {
      out += c;
      ++i;
      continue;
    }
    const size_t start = i;
    const bool hex = c == '0' && i + 1 < n && (code[i + 1] == 'x' || code[i + 1] == 'X');
    while (i < n) {
      const char d = code[i];
      if (IsIdentifierChar(d) || d == '.') {
        ++i;
      } else if ((d == '+' || d == '-') && !hex && (code[i - 1] == 'e' || code[i - 1] == 'E')) {
        ++i;  // exponent sign
      } else {
        break;
      }
    }
    std::string literal = code.substr(start, i - start);
    if (!hex) {
      const bool is_float = literal.find_first_of(".eE") != std::string::npos;
      const char last = literal.back();
      if (is_float && last != 'f' && last != 'F') {
        literal += 'f';
      } else if (!is_float && (last == 'l' || last == 'L') &&
                 literal.find("ll") == std::string::npos &&
                 literal.find("LL") == std::string::npos) {
        literal += last;  // 5l -> 5ll, 5ul -> 5ull
      }
    }
    out += literal;
  }
  return out;
}

CudaKernel TranslateKernel(const vulkan::Kernel& kernel, uint32_t index) {
  CudaKernel out;
  out.what = kernel.what;
  out.entry = "hr_k" + std::to_string(index);
  out.header = ParseHeader(kernel.glsl, kernel.what);
  if (out.header.bindings.size() != kernel.bindings.size()) {
    throw plugin::Error(HETRUN_STATUS_INTERNAL,
                        kernel.what + ": its GLSL declares " +
                            std::to_string(out.header.bindings.size()) + " buffers for " +
                            std::to_string(kernel.bindings.size()) + " bindings");
  }
  for (int d = 0; d < 3; ++d) {
    out.block[d] = out.header.local_size[d];
    out.grid[d] = kernel.groups[d];
  }

  // The code after the header: `shared` arrays move to namespace scope (CUDA has no __shared__
  // members), the rest (helpers, constants, main) becomes the members of struct HrKernel.
  std::string shared, members;
  std::istringstream lines(kernel.glsl);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("#version", 0) == 0 || line.rfind("#extension", 0) == 0 ||
        line.rfind("layout", 0) == 0) {
      continue;
    }
    if (line.rfind("shared ", 0) == 0) {
      shared += "__" + line.substr(0, 6) + "__" + line.substr(6) + "\n";
      continue;
    }
    members += line + "\n";
  }

  const size_t count = out.header.bindings.size();
  std::string text = "namespace hr_glsl {\nnamespace " + out.entry + "_ns {\n" + shared;
  text += "struct Offsets {";
  for (size_t j = 0; j < count; ++j) text += " uint o" + std::to_string(j) + ";";
  text += count == 0 ? " uint unused; };\n" : " };\n";
  text += "struct HrKernel {\n";
  for (size_t j = 0; j < count; ++j) {
    const BindingDecl& b = out.header.bindings[j];
    text += "  Buffer<" + std::string(b.readonly ? "const " : "") + b.type + "> b" +
            std::to_string(j) + ";\n";
  }
  text += "  Offsets pc;\n" + SuffixLiterals(members) + "};\n";
  // The entry point: the buffers' device pointers and the offsets, as the launch passes them.
  const uint32_t threads = out.block[0] * out.block[1] * out.block[2];
  text += "extern \"C\" __global__ void __launch_bounds__(" + std::to_string(threads) + ") " +
          out.entry + "(";
  for (size_t j = 0; j < count; ++j) {
    const BindingDecl& b = out.header.bindings[j];
    text += std::string(b.readonly ? "const " : "") + b.type + "* d" + std::to_string(j) + ", ";
  }
  text += "Offsets pc) {\n  HrKernel k;\n";
  for (size_t j = 0; j < count; ++j)
    text += "  k.b" + std::to_string(j) + ".d = d" + std::to_string(j) + ";\n";
  text += "  k.pc = pc;\n  k.main();\n}\n}  // namespace " + out.entry +
          "_ns\n}  // namespace hr_glsl\n";
  out.body = std::move(text);
  return out;
}

std::string ModuleSource(const std::vector<CudaKernel>& kernels) {
  std::string text = Prelude();
  for (const CudaKernel& kernel : kernels) {
    std::string what = kernel.what;  // a one-line comment
    for (char& c : what)
      if (c == '\n' || c == '\r') c = ' ';
    text += "\n// " + what + "\n" + kernel.body;
  }
  return text;
}

}  // namespace hetrun::cuda
