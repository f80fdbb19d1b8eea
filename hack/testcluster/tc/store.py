"""In-memory storage with one global resourceVersion counter and a per-resource watch history.

Owner: tc-core. Thread rules: every mutation and every read of `Bucket.objs` happens under
`Store.lock` (an RLock). Stored objects are never mutated after they are committed: a write
replaces the dict, so a reader may serialize an object it fetched after releasing the lock.
Each bucket (one per group/resource) has a Condition on the global lock that watchers wait on.
"""
import collections
import json
import threading
import time


class Event:
    __slots__ = ('rv', 'type', 'obj', 'old', '_line')

    def __init__(self, rv, type_, obj, old):
        self.rv, self.type, self.obj, self.old = rv, type_, obj, old
        self._line = None

    def line(self):
        if self._line is None:
            from .server import go_escape
            self._line = ('{"type":"%s","object":%s}\n' % (
                self.type, go_escape(json.dumps(self.obj, separators=(',', ':'), ensure_ascii=False)))).encode()
        return self._line


class Bucket:
    def __init__(self, store, key, window):
        self.key = key
        self.objs = {}                  # (namespace, name) -> obj
        self.events = collections.deque(maxlen=window)
        self.start_rv = store.rv        # history begins here (the cache's list resourceVersion)
        self.evicted = False
        self.cond = threading.Condition(store.lock)
        self.generation = 0             # bumped to wake watchers for drop/compact
        self.serving = True
        self.dirty = False              # events not yet announced to the watchers
        self.store = store

    def oldest(self):
        """The resourceVersion a watch may start from (inclusive): 'too old' below it."""
        if not self.evicted:
            return self.start_rv
        if self.events:
            return self.events[0].rv - 1
        return self.start_rv

    def add_event(self, ev):
        if len(self.events) == self.events.maxlen:
            self.evicted = True
        self.events.append(ev)
        if not self.dirty:
            self.dirty = True
            self.store.kick()


class Store:
    def __init__(self, window=1000):
        self.lock = threading.RLock()
        self.rv = 1
        self.window = window
        self.buckets = {}
        self.drop_generation = 0
        self._kick = threading.Event()
        threading.Thread(target=self._notifier, daemon=True, name='watch-notifier').start()
        self.uids = {}                  # uid -> (bucket key, object key)
        self.owners = {}                # owner uid -> {(bucket key, object key)}

    def _index(self, bucket, key, obj, old):
        if old is not None:
            for r in old['metadata'].get('ownerReferences') or ():
                s = self.owners.get(r.get('uid'))
                if s is not None:
                    s.discard((bucket.key, key))
                    if not s:
                        del self.owners[r.get('uid')]
            if obj is None:
                self.uids.pop(old['metadata'].get('uid'), None)
        if obj is not None:
            self.uids[obj['metadata'].get('uid')] = (bucket.key, key)
            for r in obj['metadata'].get('ownerReferences') or ():
                self.owners.setdefault(r.get('uid'), set()).add((bucket.key, key))

    def kick(self):
        self._kick.set()

    def _notifier(self):
        """Wakes the watchers of buckets with new events, at most every 2 ms: with many
        watchers, one wake-up per burst instead of one per event keeps writes fast."""
        while True:
            self._kick.wait()
            time.sleep(0.002)
            self._kick.clear()
            with self.lock:
                for b in self.buckets.values():
                    if b.dirty:
                        b.dirty = False
                        b.cond.notify_all()

    def dependents(self, uid):
        """[(bucket key, object key, obj)] of objects with an ownerReference to uid."""
        out = []
        for bk, k in list(self.owners.get(uid, ())):
            b = self.buckets.get(bk)
            o = b.objs.get(k) if b is not None else None
            if o is not None:
                out.append((bk, k, o))
        return out

    def bucket(self, key):
        b = self.buckets.get(key)
        if b is None:
            with self.lock:
                b = self.buckets.get(key)
                if b is None:
                    b = Bucket(self, key, self.window)
                    self.buckets[key] = b
        return b

    def reset_bucket(self, key):
        """A resource (re)starts being served: its history starts now."""
        with self.lock:
            b = self.buckets.get(key)
            if b is None:
                return self.bucket(key)
            b.start_rv = self.rv
            b.events.clear()
            b.evicted = False
            return b

    def next_rv(self):
        self.rv += 1
        return self.rv

    def compact(self):
        with self.lock:
            for b in self.buckets.values():
                b.events.clear()
                b.start_rv = self.rv
                b.evicted = False
                b.generation += 1
                b.cond.notify_all()

    def drop_watches(self):
        with self.lock:
            self.drop_generation += 1
            for b in self.buckets.values():
                b.cond.notify_all()

    # ---- primitive writes (caller holds the lock and has prepared the object)
    def put(self, bucket, key, obj, old):
        """Commit obj (a fresh dict); sets its resourceVersion. Returns obj."""
        rv = self.next_rv()
        obj['metadata']['resourceVersion'] = str(rv)
        bucket.objs[key] = obj
        self._index(bucket, key, obj, old)
        bucket.add_event(Event(rv, 'MODIFIED' if old is not None else 'ADDED', obj, old))
        return obj

    def remove(self, bucket, key, old):
        rv = self.next_rv()
        final = dict(old)
        final['metadata'] = dict(old['metadata'])
        final['metadata']['resourceVersion'] = str(rv)
        cur = bucket.objs.pop(key)
        self._index(bucket, key, None, cur)
        bucket.add_event(Event(rv, 'DELETED', final, old))
        return final
