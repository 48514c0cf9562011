// Identifiers, times and vocabularies shared by the EPCIS exporter and
// importer (internal). docs/epcis.md is the normative description.
#ifndef RETRACE_LIB_EPCIS_EPCIS_COMMON_H_
#define RETRACE_LIB_EPCIS_EPCIS_COMMON_H_

#include <optional>
#include <string>
#include <string_view>

#include "retrace/event.h"
#include "retrace/status.h"

namespace retrace::internal::epcis {

inline constexpr char kGs1Context[] = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
inline constexpr char kRetraceNamespace[] = "urn:retrace:epcis:v1:";
inline constexpr char kRetracePrefix[] = "urn:retrace:";

inline constexpr char kLotPrefix[] = "urn:retrace:lot:";
inline constexpr char kActorPrefix[] = "urn:retrace:actor:";
inline constexpr char kEventPrefix[] = "urn:retrace:event:";
inline constexpr char kAdditivePrefix[] = "urn:retrace:additive:";
inline constexpr char kSitePrefix[] = "urn:retrace:site:";
inline constexpr char kCountryPrefix[] = "urn:retrace:country:";
inline constexpr char kBizTransactionPrefix[] = "urn:retrace:bt:";
inline constexpr char kBizTransactionTypePrefix[] = "urn:retrace:btt:";

// Percent-encodes every byte outside [A-Za-z0-9-._~] (RFC 3986 unreserved),
// so ':' and '/' in ids survive a round trip.
std::string PctEncode(std::string_view s);
// Inverse; nullopt on a malformed escape.
std::optional<std::string> PctDecode(std::string_view s);

// prefix + PctEncode(id).
std::string Urn(const char* prefix, std::string_view id);
// The id if `uri` starts with `prefix`; nullopt otherwise or if malformed.
std::optional<std::string> FromUrn(const char* prefix, std::string_view uri);

// True if `s` is an absolute URI (RFC 3986 scheme ":" rest) that can stand
// as a JSON-LD IRI: a scheme of ALPHA *(ALPHA / DIGIT / "+" / "-" / "."),
// something after the colon, and no space, control character or any of
// < > " { } | \ ^ `. Non-ASCII bytes are allowed (IRIs).
bool IsAbsoluteUri(std::string_view s);

// The URI an id is written as: the id itself if it is an absolute URI that
// does not start with "urn:retrace:" (EPC URNs, GS1 Digital Link, ni:
// hashes keep their identity across systems), else Urn(prefix, id). The
// mapping is injective, and IdFromUri inverts it.
std::string IdToUri(const char* prefix, std::string_view id);

// The id a URI names: the decoded id of a `prefix` URI; the URI itself if
// it does not start with "urn:retrace:"; nullopt for a malformed escape or a
// urn:retrace: URI of another kind (an actor URI where a lot is expected).
std::optional<std::string> IdFromUri(const char* prefix, std::string_view uri);

// `s` with backslash, control characters and DEL written as \\ and \xNN,
// for input text quoted in messages that reach a terminal or a log.
std::string Printable(std::string_view s);

// xsd:dateTime in UTC: "2026-03-02T08:00:00Z", with ".nnn" fraction digits
// (trailing zeros trimmed) when nanos != 0.
std::string FormatTime(const Timestamp& t);
// Parses "YYYY-MM-DDThh:mm:ss[.f+](Z|+hh:mm|-hh:mm)". kInvalidArgument.
Result<Timestamp> ParseTime(std::string_view s);

// True for the CBV 2.0 business transaction types (po, inv, bol, ...).
bool IsCbvBizTransactionType(std::string_view kind);

// Material classes and elements by their names in documents.
Result<MaterialClass> ParseMaterial(std::string_view name);
Result<Element> ParseElement(std::string_view symbol);

}  // namespace retrace::internal::epcis

#endif  // RETRACE_LIB_EPCIS_EPCIS_COMMON_H_
