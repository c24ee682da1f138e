#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "paxoskv/message.hpp"
#include "storage/json_array_file.hpp"

namespace paxoskv::storage {

// DIR/SITE_state.json: the acceptor's promised ballot and its accepted (ballot, command) for
// every slot not yet known decided. Records are appended; on open they are folded (the
// highest promise, the last accepted per slot). When dead records dominate, the file is
// rewritten atomically with only the live ones.
//
//   {"site":"alpha","records":[
//   {"promised":[3,1],"checksum":"<16 hex digits>"}
//   ,{"slot":5,"ballot":[3,1],"op":"put","key":"k","value":"v","client":7,"seq":2,"checksum":"..."}
//   ,{"log_durable":5,"batch":1,"checksum":"..."}
//   ,{"recovery":"pending","batch":1,"checksum":"..."}
//   ]}
// The first record of each append carries "batch": how many records the append wrote. Each
// append is fsynced before the next is written, so damage inside the last append that shows
// the marks of a torn write (JsonArrayFile::shows_torn_write_from), even with intact records
// after it, is what a power cut during its fsync leaves: it is cut off. Damage before the last
// append was fsynced and is refused, as is a flipped bit anywhere.
// Every record ends with a checksum of the rest (see checksum_of): a record that does not
// match it is damage, and opening refuses the file, as it does a damaged last record.
class AcceptorStore {
 public:
  // Dead records tolerated before a rewrite. A rewrite costs two fsyncs and a rename; under
  // load every record dies within one log sync (about 100 ms), so a small slack would rewrite
  // the file dozens of times a second.
  static constexpr std::size_t kDefaultCompactSlack = 8192;
  // Spaces kept written ahead of the appends (see JsonArrayFile::open): the fdatasync before
  // every promise and ack then rarely has the file's size to write as well.
  static constexpr std::size_t kReserveBytes = 256 * 1024;

  // Opens or creates the file; repairs a torn tail; throws StorageError if corrupt. The file
  // is rewritten when it holds more than 2 x live + compact_slack records.
  AcceptorStore(const std::filesystem::path& dir, const std::string& site,
                std::size_t compact_slack = kDefaultCompactSlack,
                FileSystem& fs = posix_file_system());

  Ballot promised() const { return promised_; }
  // The decided log is known durable below this slot: recorded by forget_below, it is where
  // the log's damage stops being a power cut's unsynced tail (see LogStore). Unknown for a
  // file of a version that forgot records without saying so.
  std::optional<Slot> log_durable() const {
    return knows_log_durable_ ? std::optional<Slot>(log_durable_) : std::nullopt;
  }
  const std::map<Slot, AcceptedEntry>& accepted() const { return accepted_; }
  // A voter that lost its state recovers before it votes (Replica::restore_amnesiac). Until
  // "done" is durable, a restart must recover again: the promise it would start from is not
  // one it can vouch for.
  bool recovery_pending() const { return recovery_ == Recovery::pending; }
  // The file held no record when opened: nothing was ever durable here (a new site, a wiped
  // disk, or a site that stopped before its first record reached the disk).
  bool blank() const { return blank_; }

  // Appends records; durable only after sync(). With `recovered`, "recovery done" follows the
  // promise, which must be given: the floor the recovery ended at. In one append, so a torn
  // write keeps the promise without "done", or neither, never "done" without its floor.
  void record(std::optional<Ballot> promised, const std::vector<AcceptedEntry>& accepted,
              bool recovered = false);
  // Records that a recovery started, durable on return: a crash before "done" then recovers
  // again rather than restarting from a state that was lost.
  void record_recovery_pending();
  // Slots below `decided_end` are in the durable log: their records are dead. That point is
  // recorded with the next append or sync().
  void forget_below(Slot decided_end);
  void sync();
  // True when opening cut off a torn last write.
  bool repaired() const { return file_.repaired(); }

 private:
  // Appends records (texts without checksums) as one batch: its first says how many.
  void append(std::vector<std::string> records);
  void maybe_compact();
  void rewrite_live();

  JsonArrayFile file_;
  Ballot promised_;
  Slot log_durable_ = 0;
  bool knows_log_durable_ = true;
  bool log_durable_unwritten_ = false;  // log_durable_ rose since it was last written
  enum class Recovery : std::uint8_t { none, pending, done };
  Recovery recovery_ = Recovery::none;
  bool blank_ = false;
  std::map<Slot, AcceptedEntry> accepted_;
  std::size_t record_count_ = 0;
  std::size_t compact_slack_;
};

}  // namespace paxoskv::storage
