package notify_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// smtpServer is a small SMTP server that the test runs itself. It speaks
// enough of RFC 5321 for net/smtp, keeps the messages it accepts, and can
// be told to refuse them, as a server that is down for maintenance does.
type smtpServer struct {
	ln       net.Listener
	mu       sync.Mutex
	refuse   bool
	received []received
}

type received struct {
	from, to string
	data     string
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.session(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *smtpServer) setRefuse(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = v
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	say("220 cpcj.test ESMTP test server")
	var cur received
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-cpcj.test")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			s.mu.Lock()
			refuse := s.refuse
			s.mu.Unlock()
			if refuse {
				say("451 4.3.2 try again later")
				continue
			}
			from, _, _ := strings.Cut(strings.TrimSpace(line[len("MAIL FROM:"):]), " ")
			cur = received{from: from}
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			cur.to = strings.TrimSpace(line[len("RCPT TO:"):])
			say("250 OK")
		case cmd == "DATA":
			say("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.data = b.String()
			s.mu.Lock()
			s.received = append(s.received, cur)
			s.mu.Unlock()
			say("250 OK queued")
		case cmd == "RSET", cmd == "NOOP":
			say("250 OK")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 command not implemented")
		}
	}
}

func TestSMTPSend(t *testing.T) {
	srv := startSMTP(t)
	s, err := notify.NewSMTP("smtp://"+srv.ln.Addr().String(), "cpcj <no-reply@cpcj.test>")
	if err != nil {
		t.Fatal(err)
	}
	m := notify.Mail{ID: 7, To: "focal.point@ministry.test", Subject: "Rapport annuel — échéance", Body: "Line one\nLigne deux: é"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	if got[0].to != "<focal.point@ministry.test>" || got[0].from != "<no-reply@cpcj.test>" {
		t.Errorf("envelope from %s to %s", got[0].from, got[0].to)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got[0].data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, got[0].data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("subject %q (err %v), want %q", subject, err, m.Subject)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if strings.TrimSuffix(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n") != m.Body {
		t.Errorf("body %q, want %q", body, m.Body)
	}
	if msg.Header.Get("Message-ID") == "" || msg.Header.Get("Date") == "" {
		t.Errorf("message lacks Message-ID or Date: %v", msg.Header)
	}
}

func TestNewSMTPRejectsBadSettings(t *testing.T) {
	for _, c := range []struct{ url, from string }{
		{"http://mail.test", "a@b.test"},
		{"smtp://", "a@b.test"},
		{"smtp://mail.test", "not an address"},
	} {
		if _, err := notify.NewSMTP(c.url, c.from); err == nil {
			t.Errorf("NewSMTP(%q, %q) accepted", c.url, c.from)
		}
	}
}

// TestOutboxSurvivesMailServerDown writes notifications while the mail
// server refuses everything, then lets it accept: every message arrives
// once, and none is lost or sent twice.
func TestOutboxSurvivesMailServerDown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		srv := startSMTP(t)
		sender, err := notify.NewSMTP("smtp://"+srv.ln.Addr().String(), "cpcj <no-reply@cpcj.test>")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		clock := func() time.Time { return now }
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc := &notify.Service{Store: db, Mail: true, Sender: sender, BaseURL: "https://cpcj.test", Log: log, Now: clock}
		acc := account.NewService(db, nil, log)
		u, err := acc.CreateUser(ctx, access.System("test"), account.User{Email: "officer@unodc.test", Name: "Officer", Role: access.Secretariat}, "a long enough password")
		if err != nil {
			t.Fatal(err)
		}

		srv.setRefuse(true)
		for i := range 3 {
			if err := svc.Notify(ctx, u.ID, fmt.Sprintf("Notice %d", i), "Something happened.", "/account"); err != nil {
				t.Fatal(err)
			}
		}
		if err := svc.Deliver(ctx, job.Job{}); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.messages()); n != 0 {
			t.Fatalf("server refusing, yet %d messages arrived", n)
		}
		// Not due yet: the failed attempt set the next one later.
		if due, err := db.DueMail(ctx, now, 10); err != nil || len(due) != 0 {
			t.Fatalf("due right after a failure: %d (err %v), want 0", len(due), err)
		}

		srv.setRefuse(false)
		now = now.Add(2 * time.Hour)
		if err := svc.Deliver(ctx, job.Job{}); err != nil {
			t.Fatal(err)
		}
		got := srv.messages()
		if len(got) != 3 {
			t.Fatalf("after recovery %d messages arrived, want 3", len(got))
		}
		if !strings.Contains(got[0].data, "https://cpcj.test/account") {
			t.Errorf("message lacks the link to the page:\n%s", got[0].data)
		}
		// A second run sends nothing more.
		if err := svc.Deliver(ctx, job.Job{}); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.messages()); n != 3 {
			t.Errorf("a second delivery run sent again: %d messages", n)
		}
		// The in-application notifications are there regardless of e-mail.
		list, err := db.Notifications(ctx, u.Actor(), true, 10)
		if err != nil || len(list) != 3 {
			t.Errorf("unread notifications: %d (err %v), want 3", len(list), err)
		}
	})
}
