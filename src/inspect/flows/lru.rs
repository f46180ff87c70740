//! A slab of values threaded on a doubly linked list in order of last use, so that touching a
//! value, finding the least recently used one and removing any one are all O(1).
//!
//! The links live in their own compact array, apart from the values: touching a value rewrites
//! its neighbours' links, and with large values scattered over the slab those neighbours would
//! each be a cache miss.
//!
//! Inputs: slot indices handed out by [`Lru::insert`] and kept by the owner; a stale or unknown
//! index is answered with `None` or ignored, never a panic. The slab never holds more slots
//! than the most values alive at once.

#[cfg(test)]
mod tests;

const NIL: usize = usize::MAX;

/// The neighbours of a slot on the list.
#[derive(Clone, Copy, Debug)]
struct Link {
    prev: usize,
    next: usize,
}

const UNLINKED: Link = Link {
    prev: NIL,
    next: NIL,
};

/// Values in order of last use: the front is the least recently used.
#[derive(Debug)]
pub(super) struct Lru<T> {
    /// The values by slot; `links` has the same length.
    values: Vec<Option<T>>,
    links: Vec<Link>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
    len: usize,
}

impl<T> Lru<T> {
    pub(super) fn new() -> Self {
        Self {
            values: Vec::new(),
            links: Vec::new(),
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
        let index = match self.free.pop() {
            Some(index) => {
                if let Some(v) = self.values.get_mut(index) {
                    *v = Some(value);
                }
                if let Some(l) = self.links.get_mut(index) {
                    *l = UNLINKED;
                }
                index
            }
            None => {
                self.values.push(Some(value));
                self.links.push(UNLINKED);
                self.values.len() - 1
            }
        };
        self.len += 1;
        self.link_back(index);
        index
    }

    /// Removes and returns the value at `index`.
    pub(super) fn remove(&mut self, index: usize) -> Option<T> {
        let value = self.values.get_mut(index)?.take()?;
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
        self.values.iter().filter_map(Option::as_ref)
    }

    pub(super) fn get(&self, index: usize) -> Option<&T> {
        self.values.get(index)?.as_ref()
    }

    pub(super) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.values.get_mut(index)?.as_mut()
    }

    fn link_back(&mut self, index: usize) {
        let tail = self.tail;
        if let Some(l) = self.links.get_mut(index) {
            l.prev = tail;
            l.next = NIL;
        }
        match self.links.get_mut(tail) {
            Some(t) => t.next = index,
            None => self.head = index,
        }
        self.tail = index;
    }

    fn unlink(&mut self, index: usize) {
        let Some(&Link { prev, next }) = self.links.get(index) else {
            return;
        };
        match self.links.get_mut(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.links.get_mut(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
        if let Some(l) = self.links.get_mut(index) {
            *l = UNLINKED;
        }
    }
}
