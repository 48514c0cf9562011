// The protobuf JSON mapping of an event (EventFromJson, EventToJson), made
// strict where protobuf's parser is lenient.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>
#include <set>

#include "model/proto_convert.h"
#include "util/escape.h"
#include "util/status_macros.h"

namespace retrace {

using internal::FromProto;
using internal::ToProto;

namespace internal {
namespace {

// protobuf's JSON parser (3.21) is lenient where a signed event needs it to
// be strict: of duplicate keys it keeps the last, it takes {} for an empty
// list and skips arrays nested where messages belong. So that the event
// signed is unambiguously the document the user wrote, the document is
// first checked against the Event schema: no duplicate keys, lists are
// arrays, messages are objects, nesting is bounded. nlohmann's parser is
// iterative (no stack overflow on deep input) and rejects invalid UTF-8;
// its SAX interface finds duplicate keys in linear time (its DOM parser
// with a callback is quadratic in the length of an array).
constexpr int kMaxJsonDepth = 32;

Status CheckJsonShape(const nlohmann::json& j, const google::protobuf::Descriptor* d,
                      const std::string& path, int depth) {
  if (depth > kMaxJsonDepth) {
    return InvalidArgumentError("event JSON is nested more than " + std::to_string(kMaxJsonDepth) +
                                " levels deep at " + path);
  }
  if (!j.is_object()) {
    return InvalidArgumentError("event JSON: " + (path.empty() ? std::string("the event") : path) +
                                " must be an object, got " + j.type_name());
  }
  for (const auto& [key, value] : j.items()) {
    const google::protobuf::FieldDescriptor* f = nullptr;
    for (int i = 0; i < d->field_count() && f == nullptr; ++i) {
      if (d->field(i)->json_name() == key || d->field(i)->name() == key) f = d->field(i);
    }
    if (f == nullptr || value.is_null()) continue;  // protobuf names unknown fields
    const std::string where = path.empty() ? key : path + "." + key;
    const bool message = f->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
                         f->message_type()->file()->package() != "google.protobuf";
    if (f->is_repeated()) {
      if (!value.is_array()) {
        return InvalidArgumentError("event JSON: " + where + " must be a list, got " +
                                    value.type_name());
      }
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string item = where + "[" + std::to_string(i) + "]";
        if (message) {
          RETURN_IF_ERROR(CheckJsonShape(value[i], f->message_type(), item, depth + 1));
        } else if (value[i].is_structured()) {
          return InvalidArgumentError("event JSON: " + item + " must be a value, got " +
                                      value[i].type_name());
        }
      }
    } else if (message) {
      RETURN_IF_ERROR(CheckJsonShape(value, f->message_type(), where, depth + 1));
    }
  }
  return Status::Ok();
}

// First pass, streaming: syntax, UTF-8, nesting depth and duplicate keys
// (the DOM keeps only one of them, so they are caught here).
class JsonKeyCheck : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    objects_.emplace_back();
    return Enter();
  }
  bool key(string_t& k) override {
    if (!objects_.back().insert(k).second) {
      error_ = "event JSON has the key \"" + k + "\" twice in one object; it must be given once";
      return false;
    }
    return true;
  }
  bool end_object() override {
    objects_.pop_back();
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override { return Enter(); }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = std::string("event JSON does not parse: ") + e.what();
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ <= kMaxJsonDepth) return true;
    error_ = "event JSON is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep";
    return false;
  }
  std::vector<std::set<std::string>> objects_;
  int depth_ = 0;
  std::string error_;
};

Status CheckJsonDocument(std::string_view json) {
  JsonKeyCheck keys;
  if (!nlohmann::json::sax_parse(json.begin(), json.end(), &keys)) {
    return InvalidArgumentError(keys.error().empty() ? "event JSON does not parse" : keys.error());
  }
  // Second pass: the shape against the Event schema, on the DOM.
  nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgumentError("event JSON does not parse");
  return CheckJsonShape(doc, v1::Event::descriptor(), "", 0);
}

}  // namespace
}  // namespace internal

Result<Event> EventFromJson(std::string_view json) {
  RETURN_IF_ERROR(internal::CheckJsonDocument(json));
  v1::Event pb;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &pb, opts);
  if (!st.ok()) {
    return InvalidArgumentError("event JSON: " + std::string(st.message()));
  }
  return FromProto(pb);
}

Result<std::string> EventToJson(const Event& event) {
  v1::Event pb;
  RETURN_IF_ERROR(ToProto(event, &pb));
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = false;
  auto st = google::protobuf::util::MessageToJsonString(pb, &out, opts);
  if (!st.ok()) return InternalError("event to JSON: " + std::string(st.message()));
  return out;
}

}  // namespace retrace
