// Package notify tells users about things that concern them: always in the
// application, and by e-mail when a mail server is configured. E-mail goes
// through an outbox in the database that a background job delivers, so a
// message survives a mail server that is down and a cpcj server that stops.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/job"
)

// Notification is a message to one user, shown in the application.
type Notification struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"-"`
	Subject   string     `json:"subject"`
	Body      string     `json:"body"`
	Link      string     `json:"link,omitempty"` // a path in cpcj
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// Mail is an e-mail waiting in the outbox.
type Mail struct {
	ID       int64
	To       string
	Subject  string
	Body     string
	Attempts int
}

// Store keeps notifications and the outbox.
type Store interface {
	// AddNotification stores a notification and, when mail is true, an
	// outbox message to the user's e-mail address, in one transaction.
	AddNotification(ctx context.Context, n Notification, mail bool, mailBody string) (Notification, error)
	Notifications(ctx context.Context, by access.Actor, unreadOnly bool, limit int) ([]Notification, error)
	UnreadCount(ctx context.Context, by access.Actor) (int, error)
	// MarkRead marks one notification (or all, for id 0) of the actor's as read.
	MarkRead(ctx context.Context, by access.Actor, id int64) error
	DueMail(ctx context.Context, now time.Time, limit int) ([]Mail, error)
	MailSent(ctx context.Context, id int64, now time.Time) error
	MailFailed(ctx context.Context, id int64, reason string, next time.Time) error
}

// Sender sends one e-mail.
type Sender interface {
	Send(ctx context.Context, m Mail) error
}

// DeliverJob is the periodic job that sends due e-mail; a new notification
// brings its next run forward. Being one job, it never runs twice at once,
// on one server or several, so no message is sent twice.
const DeliverJob = "mail.deliver"

// deliverFor bounds one run of Deliver, well within the job's lease, so
// that a slow mail server cannot make another server take the job over
// while it is still sending.
const deliverFor = 2 * time.Minute

// Service writes notifications and delivers the outbox.
type Service struct {
	Store Store
	// Mail says whether notifications are also queued as e-mail: true when a
	// mail server is configured.
	Mail    bool
	Sender  Sender // delivers the outbox; nil where this process does not deliver
	Jobs    *job.Runner
	BaseURL string
	Log     *slog.Logger
	Now     func() time.Time
}

// Notify writes a notification for the user and, when mail is configured,
// queues it by e-mail and wakes the delivery job.
func (s *Service) Notify(ctx context.Context, userID int64, subject, body, link string) error {
	n := Notification{UserID: userID, Subject: subject, Body: body, Link: link, CreatedAt: s.Now()}
	mailBody := body
	if link != "" {
		mailBody += "\n\n" + strings.TrimRight(s.BaseURL, "/") + link
	}
	mailBody += "\n\n-- \nThis message was sent by cpcj, the information system of the United Nations crime prevention and criminal justice programme."
	if _, err := s.Store.AddNotification(ctx, n, s.Mail, mailBody); err != nil {
		return fmt.Errorf("add notification: %w", err)
	}
	if s.Mail && s.Jobs != nil {
		return s.Jobs.Soon(ctx, DeliverJob)
	}
	return nil
}

// Deliver sends the e-mail that is due. A message the server refuses stays
// in the outbox and is tried again later, at growing intervals.
func (s *Service) Deliver(ctx context.Context, _ job.Job) error {
	if s.Sender == nil {
		return nil
	}
	until := s.Now().Add(deliverFor)
	for s.Now().Before(until) {
		due, err := s.Store.DueMail(ctx, s.Now(), 50)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		failed := 0
		for _, m := range due {
			if err := s.Sender.Send(ctx, m); err != nil {
				failed++
				next := s.Now().Add(job.Backoff(m.Attempts + 1))
				s.Log.WarnContext(ctx, "e-mail not sent", "outbox", m.ID, "attempt", m.Attempts+1, "err", err, "next", next)
				if err := s.Store.MailFailed(ctx, m.ID, err.Error(), next); err != nil {
					return err
				}
				continue
			}
			if err := s.Store.MailSent(ctx, m.ID, s.Now()); err != nil {
				return err
			}
		}
		if failed > 0 {
			// The server is refusing: leave the rest for the next run.
			return nil
		}
	}
	return nil
}
