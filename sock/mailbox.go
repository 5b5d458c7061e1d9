package sock

import "sync"

// mailbox is the bounded, goroutine-safe queue behind [Conn.Send]. Senders
// never block: a full or closed mailbox refuses the message at once.
type mailbox struct {
	mu     sync.Mutex
	queue  []any
	spare  []any // the drained queue, kept to be reused
	limit  int
	closed bool
	notify func() // called when the queue stops being empty, if not nil
}

// closedMailbox stands for the mailbox of a connection that terminated
// before anything was sent to it.
var closedMailbox = &mailbox{closed: true}

func (m *mailbox) put(info any) error {
	m.mu.Lock()
	switch {
	case m.closed:
		m.mu.Unlock()
		return ErrClosed
	case len(m.queue) >= m.limit:
		m.mu.Unlock()
		return ErrMailboxFull
	}
	first := len(m.queue) == 0
	m.queue = append(m.queue, info)
	notify := m.notify
	m.mu.Unlock()
	if first && notify != nil {
		notify()
	}
	return nil
}

// setNotify makes notify the function put calls, and calls it at once if
// mail is already waiting: it may have come before the driver was ready.
func (m *mailbox) setNotify(notify func()) {
	m.mu.Lock()
	m.notify = notify
	waiting := len(m.queue) > 0
	m.mu.Unlock()
	if waiting && notify != nil {
		notify()
	}
}

// take returns every queued message in arrival order. The slice is valid until
// the next call; the caller clears it once delivered.
func (m *mailbox) take() []any {
	m.mu.Lock()
	defer m.mu.Unlock()
	got := m.queue
	m.queue, m.spare = m.spare[:0], got
	return got
}

// close refuses every later put and drops what is queued.
func (m *mailbox) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	clear(m.queue)
	m.queue, m.spare = nil, nil
}
