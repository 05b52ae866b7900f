//! A hierarchical timer wheel: O(1) insert and cancel, expiry in tick order.
//!
//! Six levels of 64 slots. A slot of level `l` covers `64^l` ticks, so the levels
//! together cover `64^6` ticks (2^36 ms, about 2.2 years at 1 ms a tick); a timer
//! further out waits in an overflow list until the wheel reaches its block. An
//! occupancy bitmap per level finds the next non-empty slot with one `trailing_zeros`.
//!
//! Entries fire when the wheel is polled with `now >= when`; an entry of a higher
//! level is moved down ("cascaded") when the wheel reaches the start of its slot.
//!
//! # Layout: records in slots, values in a slab
//!
//! The values live in a slab. A slot is a `Vec` of small [`Record`]s (the entry's tick,
//! slab index and generation), not a linked list through the slab: walking a slot
//! reads contiguous memory, so the processor fetches the entries of a firing slot in
//! parallel instead of one cache miss after another, and a cascade moves records
//! without touching the entries at all. (With 100,000 pending timers, the linked-list
//! walk was about a fifth of the loop's CPU time, almost all of it cache misses.)
//!
//! Cancelling removes the value from the slab and leaves its record behind, stale; a
//! record is live only if the stamp at its index (a dense array beside the slab, see
//! [`Stamp`]) still has its generation and tick.
//! Stale records are dropped when their slot is processed, all at once when the wheel
//! becomes empty, and by a sweep when they outnumber the live entries (so memory stays
//! proportional to the pending timers, at O(1) amortized cost per cancel). A slot
//! holding only stale records can make [`Wheel::next_expiration`] report a tick at
//! which nothing fires: a spurious wake-up, never a missed one.

use slab::Slab;

const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const LEVELS: usize = 6;
/// Ticks covered by the whole wheel.
const SPAN: u64 = 1 << (SLOT_BITS as u64 * LEVELS as u64);
/// `Expiry::level` of the overflow list.
const OVERFLOW: u8 = u8::MAX;
/// Stale records tolerated beyond the live entries before a sweep.
const SWEEP_SLACK: usize = 64;

/// Identifies an entry; stale keys (of removed entries) are recognised by generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    index: u32,
    generation: u32,
}

/// What a record must match for its entry to be live: kept apart from the values, in
/// an array indexed like the slab, so that checking a record (every cancel's sweep
/// share, every fired or cascaded record) reads 16 bytes from a small dense array
/// instead of a cache line of the value. With 1,000 pending timers the values are
/// 56 KiB; the stamps, 16 KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    when: u64,
    generation: u32,
}

impl Stamp {
    /// The stamp of a free slab index; no record has `when == u64::MAX` (`insert`
    /// clamps below it).
    const VACANT: Stamp = Stamp {
        when: u64::MAX,
        generation: 0,
    };
}

/// An entry's place in a slot: enough to cascade it without reading the entry.
#[derive(Debug, Clone, Copy)]
struct Record {
    when: u64,
    index: u32,
    generation: u32,
}

struct Level {
    occupied: u64,
    slots: [Vec<Record>; SLOTS],
}

pub(crate) struct Wheel<T> {
    /// Every tick before this one has been processed.
    elapsed: u64,
    entries: Slab<T>,
    /// `stamps[i]` describes `entries[i]` ([`Stamp::VACANT`] if it is free).
    stamps: Vec<Stamp>,
    levels: [Level; LEVELS],
    overflow: Vec<Record>,
    generation: u32,
    /// Records in all slots and the overflow list, live and stale.
    records: usize,
    /// An empty list with capacity, swapped in for a slot being processed.
    spare: Vec<Record>,
}

/// Where the next expiry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expiry {
    level: u8,
    slot: u8,
    deadline: u64,
}

/// Whether `r` still stands for a live entry.
fn live(stamps: &[Stamp], r: &Record) -> bool {
    stamps.get(r.index as usize).is_some_and(|s| {
        *s == Stamp {
            when: r.when,
            generation: r.generation,
        }
    })
}

impl<T> Wheel<T> {
    pub(crate) fn new() -> Self {
        Wheel {
            elapsed: 0,
            entries: Slab::new(),
            stamps: Vec::new(),
            levels: std::array::from_fn(|_| Level {
                occupied: 0,
                slots: std::array::from_fn(|_| Vec::new()),
            }),
            overflow: Vec::new(),
            generation: 0,
            records: 0,
            spare: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds `value` to fire at tick `when` (a tick already past fires at the next poll).
    pub(crate) fn insert(&mut self, when: u64, value: T) -> Key {
        let generation = self.generation;
        self.generation = self.generation.wrapping_add(1);
        let when = when.max(self.elapsed).min(u64::MAX - 1);
        let index = self.entries.insert(value);
        let stamp = Stamp { when, generation };
        match self.stamps.get_mut(index) {
            Some(s) => *s = stamp,
            None => {
                self.stamps.resize(index, Stamp::VACANT);
                self.stamps.push(stamp);
            }
        }
        let index = u32::try_from(index).expect("more than 2^32 pending timers");
        self.push(Record {
            when,
            index,
            generation,
        });
        Key { index, generation }
    }

    /// Removes the entry, if it is still in the wheel. Its record stays behind, stale.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        if !self.holds(key) {
            return None;
        }
        let value = self.take(key.index as usize);
        if self.entries.is_empty() {
            self.clear_records();
        } else if self.records > 2 * self.entries.len() + SWEEP_SLACK {
            self.sweep();
        }
        Some(value)
    }

    /// The value of a live entry.
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        if !self.holds(key) {
            return None;
        }
        self.entries.get_mut(key.index as usize)
    }

    /// The tick at which the next poll will have something to do (a fire or a cascade).
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        self.next_expiry().map(|e| e.deadline)
    }

    /// Moves every entry with `when <= now` into `out`: the entries of one tick in the
    /// order they were inserted (the driver's stable sort relies on it).
    ///
    /// Why the order holds: a slot's records are in push order, and records of one
    /// tick always meet in the same slot in insertion order. A record filed at a
    /// higher level moves down when the wheel reaches the start of its slot, before
    /// any later insert can see the wheel inside that slot and file a record of the
    /// same tick at a lower level.
    pub(crate) fn poll(&mut self, now: u64, out: &mut Vec<T>) {
        while let Some(exp) = self.next_expiry() {
            if exp.deadline > now {
                break;
            }
            self.elapsed = self.elapsed.max(exp.deadline);
            let mut list = self.take_list(exp);
            self.records -= list.len();
            for r in list.drain(..) {
                if r.when > self.elapsed {
                    // A cascade: the record moves down without its entry being read.
                    self.push(r);
                } else if live(&self.stamps, &r) {
                    out.push(self.take(r.index as usize));
                }
            }
            // The emptied list is the next swap's spare (`take_list` left none), trimmed
            // if it has grown far beyond what is pending.
            if list.capacity() > 4096 && list.capacity() > 4 * self.entries.len() {
                list.shrink_to(self.entries.len().max(64));
            }
            self.spare = list;
        }
        self.elapsed = self.elapsed.max(now);
        if self.entries.is_empty() && self.records > 0 {
            self.clear_records();
        }
    }

    fn next_expiry(&self) -> Option<Expiry> {
        for (l, level) in self.levels.iter().enumerate() {
            if level.occupied == 0 {
                continue;
            }
            let shift = SLOT_BITS * l as u32;
            let pos = ((self.elapsed >> shift) as usize) & (SLOTS - 1);
            let ahead = level.occupied.rotate_right(pos as u32).trailing_zeros() as usize;
            let slot = (pos + ahead) & (SLOTS - 1);
            let level_span = 1u64 << (shift + SLOT_BITS);
            let mut deadline = (self.elapsed & !(level_span - 1)) + ((slot as u64) << shift);
            if slot < pos {
                // Not expected (passed slots are empty), but never report a past slot.
                deadline += level_span;
            }
            return Some(Expiry {
                level: l as u8,
                slot: slot as u8,
                deadline,
            });
        }
        if !self.overflow.is_empty() {
            return Some(Expiry {
                level: OVERFLOW,
                slot: 0,
                deadline: (self.elapsed | (SPAN - 1)) + 1,
            });
        }
        None
    }

    /// Detaches the records of an expiring slot.
    fn take_list(&mut self, exp: Expiry) -> Vec<Record> {
        let spare = std::mem::take(&mut self.spare);
        if exp.level == OVERFLOW {
            std::mem::replace(&mut self.overflow, spare)
        } else {
            let level = &mut self.levels[exp.level as usize];
            level.occupied &= !(1 << exp.slot);
            std::mem::replace(&mut level.slots[exp.slot as usize], spare)
        }
    }

    /// Files a record in the slot (or overflow list) of its tick.
    fn push(&mut self, r: Record) {
        self.records += 1;
        let masked = (self.elapsed ^ r.when) | (SLOTS as u64 - 1);
        if masked >= SPAN {
            self.overflow.push(r);
            return;
        }
        let level = (63 - masked.leading_zeros()) / SLOT_BITS;
        let slot = (r.when >> (level * SLOT_BITS)) as usize & (SLOTS - 1);
        let l = &mut self.levels[level as usize];
        l.occupied |= 1 << slot;
        l.slots[slot].push(r);
    }

    /// Whether `key` names a live entry.
    fn holds(&self, key: Key) -> bool {
        self.stamps
            .get(key.index as usize)
            .is_some_and(|s| s.when != Stamp::VACANT.when && s.generation == key.generation)
    }

    /// Removes the live entry at `index`.
    fn take(&mut self, index: usize) -> T {
        self.stamps[index] = Stamp::VACANT;
        self.entries.remove(index)
    }

    /// Drops every record: the wheel has no entries left.
    fn clear_records(&mut self) {
        for level in &mut self.levels {
            let mut occupied = std::mem::take(&mut level.occupied);
            while occupied != 0 {
                let slot = occupied.trailing_zeros() as usize;
                occupied &= occupied - 1;
                level.slots[slot].clear();
            }
        }
        self.overflow.clear();
        self.records = 0;
    }

    /// Drops the stale records of every slot.
    fn sweep(&mut self) {
        let stamps = &self.stamps[..];
        let mut records = 0;
        for level in &mut self.levels {
            let mut occupied = level.occupied;
            while occupied != 0 {
                let slot = occupied.trailing_zeros() as usize;
                occupied &= occupied - 1;
                let list = &mut level.slots[slot];
                list.retain(|r| live(stamps, r));
                if list.is_empty() {
                    level.occupied &= !(1 << slot);
                }
                records += list.len();
            }
        }
        self.overflow.retain(|r| live(stamps, r));
        self.records = records + self.overflow.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cheap deterministic pseudo-random sequence.
    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    fn drain(w: &mut Wheel<u64>, now: u64) -> Vec<u64> {
        let mut out = Vec::new();
        w.poll(now, &mut out);
        out.sort();
        out
    }

    #[test]
    fn fires_each_entry_at_its_tick_and_not_before() {
        let mut w = Wheel::new();
        let ticks = [0, 1, 63, 64, 65, 4095, 4096, 300_000, 70_000_000];
        for &t in &ticks {
            w.insert(t, t);
        }
        for &t in &ticks {
            if t > 0 {
                assert_eq!(drain(&mut w, t - 1), Vec::<u64>::new(), "early at {t}");
            }
            assert_eq!(w.next_expiration().map(|n| n <= t), Some(true));
            assert_eq!(drain(&mut w, t), vec![t]);
        }
        assert_eq!(w.len(), 0);
        assert_eq!(w.next_expiration(), None);
    }

    #[test]
    fn stepping_one_tick_at_a_time_matches_a_model() {
        let mut rand = xorshift(0x2545_f491_4f6c_dd1d);
        let mut w = Wheel::new();
        let mut model: Vec<(u64, Key)> = Vec::new();
        let mut fired = Vec::new();
        for now in 0..20_000u64 {
            if rand() % 3 == 0 {
                let when = now + rand() % 9000;
                let k = w.insert(when, when);
                model.push((when, k));
            }
            if rand() % 7 == 0 && !model.is_empty() {
                let i = (rand() as usize) % model.len();
                let (when, k) = model.swap_remove(i);
                assert_eq!(w.remove(k), Some(when));
                assert_eq!(w.remove(k), None, "a key removes once");
            }
            fired.clear();
            w.poll(now, &mut fired);
            fired.sort();
            let mut due: Vec<u64> = model
                .iter()
                .filter(|(t, _)| *t <= now)
                .map(|(t, _)| *t)
                .collect();
            due.sort();
            model.retain(|(t, _)| *t > now);
            assert_eq!(fired, due, "at tick {now}");
        }
    }

    #[test]
    fn entries_of_one_tick_come_out_in_insertion_order() {
        let mut rand = xorshift(0x9e37_79b9_7f4a_7c15);
        let mut w = Wheel::new();
        let mut seq = 0u64;
        let mut now = 0u64;
        let mut fired = Vec::new();
        let mut removed = std::collections::HashSet::new();
        let mut keys = Vec::new();
        while now < 3_000_000 {
            // A few ticks shared by many timers, inserted at different distances (so at
            // different levels, then cascaded), some already past (clamped).
            for _ in 0..(rand() % 8) {
                let when = (now / 4096 + rand() % 40) * 4096 + (rand() % 3) * 7;
                let when = if rand() % 16 == 0 {
                    now.saturating_sub(5)
                } else {
                    when
                };
                keys.push((w.insert(when, (when.max(now), seq)), seq));
                seq += 1;
            }
            if rand() % 4 == 0 && !keys.is_empty() {
                let (k, s) = keys.swap_remove((rand() as usize) % keys.len());
                if w.remove(k).is_some() {
                    removed.insert(s);
                }
            }
            now += rand() % 3000;
            let mut out = Vec::new();
            w.poll(now, &mut out);
            let mut last = std::collections::HashMap::new();
            for &(t, s) in &out {
                if let Some(prev) = last.insert(t, s) {
                    assert!(prev < s, "tick {t}: {s} fired after {prev}");
                }
            }
            fired.extend(out);
        }
        w.poll(u64::MAX - 2, &mut fired);
        assert_eq!(
            fired.len() as u64 + removed.len() as u64,
            seq,
            "every timer once"
        );
    }

    #[test]
    fn jumping_far_ahead_fires_everything_due() {
        let mut w = Wheel::new();
        for t in (0..10_000u64).step_by(37) {
            w.insert(t * 1000, t);
        }
        let mut out = Vec::new();
        w.poll(5_000_000, &mut out);
        assert_eq!(out.len(), (0..=5000u64).step_by(37).count());
        assert!(w.next_expiration().unwrap() > 5_000_000);
    }

    #[test]
    fn timers_beyond_the_span_wait_in_overflow() {
        let mut w = Wheel::new();
        let far = SPAN * 3 + 12345;
        w.insert(far, far);
        w.insert(5, 5);
        assert_eq!(drain(&mut w, far - 1), vec![5]);
        assert_eq!(drain(&mut w, far), vec![far]);
    }

    #[test]
    fn past_ticks_fire_at_the_next_poll() {
        let mut w = Wheel::new();
        w.poll(1000, &mut Vec::new());
        w.insert(3, 3);
        assert_eq!(w.next_expiration(), Some(1000));
        assert_eq!(drain(&mut w, 1000), vec![3]);
    }

    #[test]
    fn get_mut_rejects_stale_keys() {
        let mut w = Wheel::new();
        let k = w.insert(10, 1u64);
        *w.get_mut(k).unwrap() = 2;
        assert_eq!(w.remove(k), Some(2));
        let k2 = w.insert(10, 3);
        assert!(w.get_mut(k).is_none());
        assert_eq!(w.get_mut(k2), Some(&mut 3));
    }

    #[test]
    fn cancelled_records_do_not_pile_up() {
        let mut w = Wheel::new();
        // One long-lived timer keeps the wheel from emptying.
        let keep = w.insert(1_000_000, 0);
        for i in 0..100_000u64 {
            let k = w.insert(10_000 + i % 5000, i);
            assert_eq!(w.remove(k), Some(i));
            assert!(
                w.records <= 2 * w.len() + SWEEP_SLACK + 1,
                "{} records",
                w.records
            );
        }
        assert_eq!(w.remove(keep), Some(0));
        assert_eq!(w.records, 0);
        assert_eq!(
            w.next_expiration(),
            None,
            "an empty wheel has nothing to wake for"
        );
    }

    #[test]
    fn a_reused_slot_is_not_fired_by_the_stale_record_of_its_old_entry() {
        let mut w = Wheel::new();
        let _keep = w.insert(100_000, 0);
        let old = w.insert(50, 1);
        assert_eq!(w.remove(old), Some(1));
        // The slab reuses the index; the old record (tick 50) must not fire it.
        let new = w.insert(5_000, 2);
        assert_eq!(drain(&mut w, 50), Vec::<u64>::new());
        assert_eq!(drain(&mut w, 4_999), Vec::<u64>::new());
        assert_eq!(drain(&mut w, 5_000), vec![2]);
        assert!(w.get_mut(new).is_none());
    }

    #[test]
    fn cascaded_entries_can_still_be_cancelled_and_updated() {
        let mut w = Wheel::new();
        let a = w.insert(200, 1);
        let b = w.insert(300, 2);
        // Reaching tick 192 cascades both from level 1 into level 0.
        assert_eq!(drain(&mut w, 192), Vec::<u64>::new());
        *w.get_mut(b).unwrap() = 3;
        assert_eq!(w.remove(a), Some(1));
        assert_eq!(drain(&mut w, 299), Vec::<u64>::new());
        assert_eq!(drain(&mut w, 300), vec![3]);
        assert_eq!(w.len(), 0);
    }
}
