// SPDX-License-Identifier: Apache-2.0
// neurark inspect IMAGE [--json]: a readable summary of a chip image.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/compiler/inspect.hpp"

namespace neurark::tools {

namespace {

struct Args {
  std::string image;
  bool json = false;
};

int run_inspect(const Args& a) {
  const arch::Image img = arch::Image::open(a.image);
  if (a.json)
    std::cout << nlohmann::json{{"image", a.image}, {"bytes", img.file_bytes()}, {"checksum", fmt::format("{:016x}", img.checksum())},
                                {"summary", compiler::inspect_summary(img)}}.dump()
              << "\n";
  else
    std::cout << compiler::inspect_text(img);
  return 0;
}

}  // namespace

std::function<int()> add_inspect(CLI::App& sub) {
  auto a = std::make_shared<Args>();
  sub.add_option("image", a->image, "Chip image (from neurark compile)")->required();
  sub.add_flag("--json", a->json, "Print the summary as one JSON object");
  return [a] { return run_inspect(*a); };
}

}  // namespace neurark::tools
