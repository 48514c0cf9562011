// EPCIS 2.0 JSON documents for the import tests (epcis_test.cc,
// epcis_interop_test.cc).
#ifndef RETRACE_TESTS_EMBED_EPCIS_DOC_H_
#define RETRACE_TESTS_EMBED_EPCIS_DOC_H_

#include <nlohmann/json.hpp>
#include <vector>

namespace retrace::testing {

// An EPCISDocument holding `events`. A vector, not a json: Doc({one_event})
// would copy the event under Clang (a braced single json is a copy there)
// and make a one-element array under GCC.
inline nlohmann::json Doc(const std::vector<nlohmann::json>& events) {
  return {{"@context", "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"},
          {"type", "EPCISDocument"},
          {"schemaVersion", "2.0"},
          {"creationDate", "2026-01-01T00:00:00Z"},
          {"epcisBody", {{"eventList", events}}}};
}

// A foreign shipping event: 12.5 kg of ORE-1 from mine-1 to sep-1, at a
// time with milliseconds and a +01:00 offset.
inline nlohmann::json Shipping() {
  return {{"type", "ObjectEvent"},
          {"eventID", "urn:uuid:1"},
          {"eventTime", "2026-01-02T10:00:00.500+01:00"},
          {"eventTimeZoneOffset", "+01:00"},
          {"action", "OBSERVE"},
          {"bizStep", "shipping"},
          {"quantityList", {{{"epcClass", "urn:retrace:lot:ORE-1"}, {"quantity", 12.5}, {"uom", "KGM"}}}},
          {"sourceList", {{{"type", "owning_party"}, {"source", "urn:retrace:actor:mine-1"}}}},
          {"destinationList", {{{"type", "owning_party"}, {"destination", "urn:retrace:actor:sep-1"}}}}};
}

}  // namespace retrace::testing

#endif  // RETRACE_TESTS_EMBED_EPCIS_DOC_H_
