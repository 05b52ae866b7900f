//! A hierarchical timer wheel: O(1) insert and cancel, expiry in tick order.
//!
//! Six levels of 64 slots. A slot of level `l` covers `64^l` ticks, so the levels
//! together cover `64^6` ticks (2^36 ms, about 2.2 years at 1 ms a tick); a timer
//! further out waits in an overflow list until the wheel reaches its block. Each slot
//! is an intrusive doubly linked list threaded through a slab, so removal needs no
//! search. An occupancy bitmap per level finds the next non-empty slot with one
//! `trailing_zeros`.
//!
//! Entries fire when the wheel is polled with `now >= when`; an entry of a higher
//! level is moved down ("cascaded") when the wheel reaches the start of its slot.

use slab::Slab;

const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const LEVELS: usize = 6;
/// Ticks covered by the whole wheel.
const SPAN: u64 = 1 << (SLOT_BITS as u64 * LEVELS as u64);
const NIL: usize = usize::MAX;
/// `Entry::level` of an entry in the overflow list.
const OVERFLOW: u8 = u8::MAX;

/// Identifies an entry; stale keys (of removed entries) are recognised by generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    index: usize,
    generation: u32,
}

struct Entry<T> {
    when: u64,
    value: T,
    prev: usize,
    next: usize,
    level: u8,
    slot: u8,
    generation: u32,
}

struct Level {
    occupied: u64,
    heads: [usize; SLOTS],
}

pub(crate) struct Wheel<T> {
    /// Every tick before this one has been processed.
    elapsed: u64,
    entries: Slab<Entry<T>>,
    levels: [Level; LEVELS],
    overflow: usize,
    generation: u32,
}

/// Where the next expiry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expiry {
    level: u8,
    slot: u8,
    deadline: u64,
}

impl<T> Wheel<T> {
    pub(crate) fn new() -> Self {
        Wheel {
            elapsed: 0,
            entries: Slab::new(),
            levels: std::array::from_fn(|_| Level {
                occupied: 0,
                heads: [NIL; SLOTS],
            }),
            overflow: NIL,
            generation: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds `value` to fire at tick `when` (a tick already past fires at the next poll).
    pub(crate) fn insert(&mut self, when: u64, value: T) -> Key {
        let generation = self.generation;
        self.generation = self.generation.wrapping_add(1);
        let index = self.entries.insert(Entry {
            when: when.max(self.elapsed),
            value,
            prev: NIL,
            next: NIL,
            level: 0,
            slot: 0,
            generation,
        });
        self.link(index);
        Key { index, generation }
    }

    /// Removes the entry, if it is still in the wheel.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        match self.entries.get(key.index) {
            Some(e) if e.generation == key.generation => {}
            _ => return None,
        }
        self.unlink(key.index);
        Some(self.entries.remove(key.index).value)
    }

    /// The value of a live entry.
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        match self.entries.get_mut(key.index) {
            Some(e) if e.generation == key.generation => Some(&mut e.value),
            _ => None,
        }
    }

    /// The tick at which the next poll will have something to do (a fire or a cascade).
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        self.next_expiry().map(|e| e.deadline)
    }

    /// Moves every entry with `when <= now` into `out`, in no particular order.
    pub(crate) fn poll(&mut self, now: u64, out: &mut Vec<T>) {
        while let Some(exp) = self.next_expiry() {
            if exp.deadline > now {
                break;
            }
            self.elapsed = self.elapsed.max(exp.deadline);
            let mut index = self.take_list(exp);
            while index != NIL {
                let entry = &mut self.entries[index];
                let next = entry.next;
                if entry.when <= self.elapsed {
                    out.push(self.entries.remove(index).value);
                } else {
                    self.link(index);
                }
                index = next;
            }
        }
        self.elapsed = self.elapsed.max(now);
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
        if self.overflow != NIL {
            return Some(Expiry {
                level: OVERFLOW,
                slot: 0,
                deadline: (self.elapsed | (SPAN - 1)) + 1,
            });
        }
        None
    }

    /// Detaches the list of an expiring slot and returns its head.
    fn take_list(&mut self, exp: Expiry) -> usize {
        let head = if exp.level == OVERFLOW {
            std::mem::replace(&mut self.overflow, NIL)
        } else {
            let level = &mut self.levels[exp.level as usize];
            level.occupied &= !(1 << exp.slot);
            std::mem::replace(&mut level.heads[exp.slot as usize], NIL)
        };
        let mut index = head;
        while index != NIL {
            let e = &mut self.entries[index];
            e.prev = NIL;
            index = e.next;
        }
        head
    }

    fn link(&mut self, index: usize) {
        let when = self.entries[index].when;
        let masked = (self.elapsed ^ when) | (SLOTS as u64 - 1);
        let (level, slot) = if masked >= SPAN {
            (OVERFLOW, 0)
        } else {
            let level = (63 - masked.leading_zeros()) / SLOT_BITS;
            let slot = (when >> (level * SLOT_BITS)) as usize & (SLOTS - 1);
            (level as u8, slot as u8)
        };
        let head = if level == OVERFLOW {
            &mut self.overflow
        } else {
            let l = &mut self.levels[level as usize];
            l.occupied |= 1 << slot;
            &mut l.heads[slot as usize]
        };
        let old = std::mem::replace(head, index);
        let e = &mut self.entries[index];
        e.level = level;
        e.slot = slot;
        e.prev = NIL;
        e.next = old;
        if old != NIL {
            self.entries[old].prev = index;
        }
    }

    fn unlink(&mut self, index: usize) {
        let (prev, next, level, slot) = {
            let e = &self.entries[index];
            (e.prev, e.next, e.level, e.slot)
        };
        if next != NIL {
            self.entries[next].prev = prev;
        }
        if prev != NIL {
            self.entries[prev].next = next;
        } else if level == OVERFLOW {
            self.overflow = next;
        } else {
            let l = &mut self.levels[level as usize];
            l.heads[slot as usize] = next;
            if next == NIL {
                l.occupied &= !(1 << slot);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // A cheap deterministic pseudo-random sequence (xorshift).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rand = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
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
}
