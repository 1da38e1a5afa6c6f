// A QR code as an SVG image, drawn on the server (Debian's libqrencode), for
// the TOTP enrolment page: no JavaScript and no image request, so the page
// stays under the strict CSP.
//
//   std::string svg = accounts::qr_svg(setup.otpauth_uri);  // "<svg ...>...</svg>"
#pragma once

#include <string>
#include <string_view>

namespace gatehouse::accounts {

// The text as a QR code (error correction M, 8-bit mode), one SVG path of
// dark modules inside a 4-module quiet zone; `title` is the image's
// accessible name. Throws std::invalid_argument when the text is too long
// for any QR code (about 2,300 bytes at level M).
std::string qr_svg(std::string_view text, std::string_view title = "QR code");

}  // namespace gatehouse::accounts
