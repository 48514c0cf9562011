// Signing one event (EventSigningInput, SignEvent); batch signatures are
// batch_signature.cc.
#include "model/proto_convert.h"
#include "retrace/signer.h"
#include "util/status_macros.h"

namespace retrace {

std::string EventSigningInput(std::string_view event_bytes) {
  std::string msg(internal::kEventSigningContext);
  msg.push_back('\0');
  msg.append(event_bytes);
  return msg;
}

Result<SignedEvent> SignEvent(const Event& event, const Signer& signer) {
  ASSIGN_OR_RETURN(std::string bytes, EncodeEvent(event));
  ASSIGN_OR_RETURN(std::string sig, signer.Sign(EventSigningInput(bytes)));
  return SignedEvent{std::move(bytes), signer.public_key().KeyId(), std::move(sig)};
}

}  // namespace retrace
