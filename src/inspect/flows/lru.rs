//! A slab of values threaded on a doubly linked list in order of last use, so that touching a
//! value, finding the least recently used one and removing any one are all O(1).
//!
//! Inputs: slot indices handed out by [`Lru::insert`] and kept by the owner; a stale or unknown
//! index is answered with `None` or ignored, never a panic. The slab never holds more slots
//! than the most values alive at once.

#[cfg(test)]
mod tests;

const NIL: usize = usize::MAX;

#[derive(Debug)]
struct Slot<T> {
    value: Option<T>,
    prev: usize,
    next: usize,
}

/// Values in order of last use: the front is the least recently used.
#[derive(Debug)]
pub(super) struct Lru<T> {
    slots: Vec<Slot<T>>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    len: usize,
}

impl<T> Lru<T> {
    pub(super) fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Stores `value` as the most recently used and returns its slot index.
    pub(super) fn insert(&mut self, value: T) -> usize {
        let slot = Slot {
            value: Some(value),
            prev: NIL,
            next: NIL,
        };
        let index = match self.free.pop() {
            Some(index) => {
                if let Some(s) = self.slots.get_mut(index) {
                    *s = slot;
                }
                index
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.len += 1;
        self.link_back(index);
        index
    }

    /// Removes and returns the value at `index`.
    pub(super) fn remove(&mut self, index: usize) -> Option<T> {
        let value = self.slots.get_mut(index)?.value.take()?;
        self.unlink(index);
        self.free.push(index);
        self.len -= 1;
        Some(value)
    }

    /// Marks the value at `index` as the most recently used.
    pub(super) fn touch(&mut self, index: usize) {
        if index == self.tail || self.get(index).is_none() {
            return;
        }
        self.unlink(index);
        self.link_back(index);
    }

    /// Index of the least recently used value.
    pub(super) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// Every value, in slot order.
    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|s| s.value.as_ref())
    }

    pub(super) fn get(&self, index: usize) -> Option<&T> {
        self.slots.get(index)?.value.as_ref()
    }

    pub(super) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.slots.get_mut(index)?.value.as_mut()
    }

    fn link_back(&mut self, index: usize) {
        let tail = self.tail;
        if let Some(s) = self.slots.get_mut(index) {
            s.prev = tail;
            s.next = NIL;
        }
        match self.slots.get_mut(tail) {
            Some(t) => t.next = index,
            None => self.head = index,
        }
        self.tail = index;
    }

    fn unlink(&mut self, index: usize) {
        let Some(s) = self.slots.get(index) else {
            return;
        };
        let (prev, next) = (s.prev, s.next);
        match self.slots.get_mut(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.slots.get_mut(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
        if let Some(s) = self.slots.get_mut(index) {
            s.prev = NIL;
            s.next = NIL;
        }
    }
}
