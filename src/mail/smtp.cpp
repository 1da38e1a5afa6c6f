// SmtpBackend over libcurl (Debian's libcurl4-openssl-dev): one easy handle
// per backend, kept between sends so libcurl reuses the connection (and its
// TLS session) while the server allows; STARTTLS (required, never optional
// once asked for) or implicit TLS (smtps://), login, and timeouts on connect
// and on each transfer. Certificates are verified: `cafile=` names a CA file
// for a private server. We write no SMTP of our own: libcurl does the
// dialogue, dot-stuffing included.
#include <curl/curl.h>

#include <charconv>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "gatehouse/core/encoding.h"
#include "smtp.h"

namespace gatehouse::mail {

namespace {

// "<address>", for MAIL FROM and RCPT TO. Appended, not `"<" + a + ">"`:
// GCC 12 at -O3 reports a false -Wrestrict in operator+ (GCC bug 105329).
std::string angle_bracketed(std::string_view address) {
  std::string out;
  out.reserve(address.size() + 2);
  out.push_back('<');
  out.append(address);
  out.push_back('>');
  return out;
}

struct Payload {
  std::string text;
  std::size_t offset = 0;
};

std::size_t read_payload(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* p = static_cast<Payload*>(user);
  const std::size_t len = std::min(size * n, p->text.size() - p->offset);
  std::memcpy(buffer, p->text.data() + p->offset, len);
  p->offset += len;
  return len;
}

// SMTP lines end in CRLF: a lone LF in a body becomes CRLF.
std::string crlf(const std::string& in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out += '\r';
    out += in[i];
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

void init_curl_once() {
  static const bool done = [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("libcurl failed to initialise");
    return true;
  }();
  (void)done;
}

}  // namespace

SmtpOptions parse_smtp_url(const std::string& url) {
  const auto bad = [&](const std::string& why) {
    return std::invalid_argument("GATEHOUSE_EMAIL_URL: " + why +
                                 " (expected smtp[s]://[user:password@]host:port[?starttls=1&timeout=SECONDS&cafile=PATH])");
  };
  SmtpOptions o;
  std::string rest;
  if (url.starts_with("smtp://")) {
    rest = url.substr(7);
  } else if (url.starts_with("smtps://")) {
    rest = url.substr(8);
    o.implicit_tls = true;
    o.port = 465;
  } else {
    throw bad("not an smtp:// address");
  }
  if (const auto q = rest.find('?'); q != std::string::npos) {
    std::string query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string part = query.substr(0, amp);
      query = amp == std::string::npos ? "" : query.substr(amp + 1);
      const auto eq = part.find('=');
      const std::string key = part.substr(0, eq), value = eq == std::string::npos ? "" : core::percent_decode(part.substr(eq + 1));
      if (key == "starttls") {
        if (value != "0" && value != "1") throw bad("starttls is 0 or 1");
        o.starttls = value == "1";
      } else if (key == "timeout") {
        int seconds = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec != std::errc() || end != value.data() + value.size() || seconds <= 0 || seconds > 3600)
          throw bad("timeout is a number of seconds from 1 to 3600");
        o.timeout = std::chrono::seconds(seconds);
      } else if (key == "cafile") {
        o.ca_file = value;
      } else {
        throw bad("unknown option '" + key + "'");
      }
    }
  }
  if (const auto at = rest.rfind('@'); at != std::string::npos) {
    const std::string auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = auth.find(':');
    o.username = core::percent_decode(auth.substr(0, colon));
    o.password = colon == std::string::npos ? "" : core::percent_decode(auth.substr(colon + 1));
  }
  if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), o.port);
    if (ec != std::errc() || end != port.data() + port.size() || o.port <= 0 || o.port > 65535)
      throw bad("the port is not a number from 1 to 65535");
    rest = rest.substr(0, colon);
  }
  if (rest.empty() || rest.find('/') != std::string::npos) throw bad("no host");
  o.host = rest;
  return o;
}

struct SmtpBackend::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

SmtpBackend::SmtpBackend(SmtpOptions options) : options_(std::move(options)), handle_(std::make_unique<Handle>()) {
  init_curl_once();
}
SmtpBackend::~SmtpBackend() = default;

std::size_t SmtpBackend::send_messages(const std::vector<EmailMessage>& messages) {
  std::lock_guard lock(mu_);
  std::size_t sent = 0;
  for (const auto& m : messages) {
    send_one(m);
    ++sent;
  }
  return sent;
}

void SmtpBackend::send_one(const EmailMessage& m) {
  Payload payload{crlf(m.to_mime()), 0};  // throws for header injection or no recipient, before any network
  if (handle_->curl == nullptr) {
    handle_->curl = curl_easy_init();
    if (handle_->curl == nullptr) throw std::runtime_error("smtp: cannot create a libcurl handle");
  }
  CURL* c = handle_->curl;
  curl_easy_reset(c);  // keeps the connection cache: a live connection is reused
  const std::string url = std::string(options_.implicit_tls ? "smtps://" : "smtp://") + options_.host + ":" +
                          std::to_string(options_.port);
  const std::string from = angle_bracketed(EmailMessage::address_of(m.from_email));
  curl_slist* rcpt = nullptr;
  for (const auto& r : m.recipients()) rcpt = curl_slist_append(rcpt, angle_bracketed(EmailMessage::address_of(r)).c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_payload);
  curl_easy_setopt(c, CURLOPT_READDATA, &payload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(payload.text.size()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count() * 1000));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count() * 1000));
  if (options_.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
  }
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(rcpt);
  if (rc != CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    // The message names the server and the failure, never the password.
    throw std::runtime_error("smtp: sending to " + options_.host + ":" + std::to_string(options_.port) + " failed: " +
                             (error[0] != '\0' ? error : curl_easy_strerror(rc)) +
                             (code != 0 ? " (server said " + std::to_string(code) + ")" : ""));
  }
}

}  // namespace gatehouse::mail
