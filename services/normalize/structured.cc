// Placeholders for the XML wire formats until their decoders land (nitf.cc, newsml_g2.cc, feed.cc).
#include "normalize/internal.h"

namespace copydesk::normalize::internal {

Status DecodeNitf(std::string_view, const Metadata&, const Limits&, v1::Article&) {
  return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT, "NITF decoding is not implemented yet"};
}
Status DecodeNewsMlG2(std::string_view, const Metadata&, const Limits&, v1::Article&) {
  return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT, "NewsML-G2 decoding is not implemented yet"};
}
Status DecodeFeedEntry(std::string_view, const Metadata&, const Limits&, v1::Article&) {
  return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT, "RSS/Atom decoding is not implemented yet"};
}

}  // namespace copydesk::normalize::internal
