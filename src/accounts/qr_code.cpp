#include "gatehouse/accounts/qr_code.h"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

#include "gatehouse/core/encoding.h"

namespace gatehouse::accounts {

std::string qr_svg(std::string_view text, std::string_view title) {
  const std::string data(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(QRcode_encodeData(static_cast<int>(data.size()),
                                                                      reinterpret_cast<const unsigned char*>(data.data()),
                                                                      0, QR_ECLEVEL_M),
                                                    &QRcode_free);
  if (!qr) throw std::invalid_argument("qr_svg: the text does not fit in a QR code");
  constexpr int kQuiet = 4;
  const int width = qr->width;
  const std::string size = std::to_string(width + 2 * kQuiet);
  std::string path;
  for (int y = 0; y < width; ++y)
    for (int x = 0; x < width; ++x)
      if ((qr->data[static_cast<std::size_t>(y * width + x)] & 1u) != 0)
        path += "M" + std::to_string(x + kQuiet) + " " + std::to_string(y + kQuiet) + "h1v1h-1z";
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr-code\" role=\"img\" viewBox=\"0 0 " + size + " " + size +
         "\" width=\"" + std::to_string((width + 2 * kQuiet) * 5) + "\" shape-rendering=\"crispEdges\"><title>" +
         core::html_escape(title) + "</title><rect width=\"" + size + "\" height=\"" + size +
         "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path + "\"/></svg>";
}

}  // namespace gatehouse::accounts
