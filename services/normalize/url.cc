#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "normalize/internal.h"

namespace copydesk::normalize::internal {
namespace {

bool IsTrackingParam(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n.rfind("utm_", 0) == 0) return true;
  static const char* kNames[] = {"fbclid", "gclid",       "dclid",       "msclkid",     "mc_cid",
                                 "mc_eid", "igshid",      "_ga",         "yclid",       "ocid",
                                 "cmpid",  "ns_mchannel", "ns_source",   "ns_campaign", "ns_linkname",
                                 "ns_fee", "at_medium",   "at_campaign", "smid",        "ref_src"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* k) { return n == k; });
}

}  // namespace

std::string CanonicalizeUrl(std::string_view url) {
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.front()))) url.remove_prefix(1);
  while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.remove_suffix(1);
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return "";
  std::string scheme(url.substr(0, scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme != "http" && scheme != "https") return "";
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));
  auto path_start = rest.find_first_of("/?");
  std::string host(rest.substr(0, path_start));
  std::string_view tail =
      path_start == std::string_view::npos ? std::string_view("/") : rest.substr(path_start);
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  if ((scheme == "http" && host.size() > 3 && host.compare(host.size() - 3, 3, ":80") == 0) ||
      (scheme == "https" && host.size() > 4 && host.compare(host.size() - 4, 4, ":443") == 0)) {
    host.resize(host.rfind(':'));
  }
  if (host.empty()) return "";
  std::string_view path = tail.substr(0, tail.find('?'));
  if (path.empty()) path = "/";
  std::string out = scheme + "://" + host + std::string(path);
  auto q = tail.find('?');
  if (q != std::string_view::npos) {
    std::string_view query = tail.substr(q + 1);
    std::vector<std::string_view> kept;
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view kv = query.substr(0, amp);
      std::string_view name = kv.substr(0, kv.find('='));
      if (!kv.empty() && !IsTrackingParam(name)) kept.push_back(kv);
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
    for (size_t i = 0; i < kept.size(); ++i) {
      out += (i == 0 ? '?' : '&');
      out += kept[i];
    }
  }
  return out;
}

}  // namespace copydesk::normalize::internal
