package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/job"
)

// A file a focal point uploads is checked first — read, validated and
// compared with the State's draft, storing nothing — and its figures are
// saved only when the focal point, having seen the result, confirms. The
// check is kept in the database between the two steps, so that the
// confirmation does not ask for the file again and any server can take
// it. A large file is read by a background job, whose progress the check
// shows.

// FileCheck is the check of one uploaded file.
type FileCheck struct {
	ID           int64       `json:"id"`
	Round        int64       `json:"round"`
	State        string      `json:"state"`
	StateName    string      `json:"state_name"`
	Owner        int64       `json:"-"` // the account that uploaded the file: the one who may see and save it, with the secretariat
	Name         string      `json:"name"`
	Kind         string      `json:"kind"` // WorkbookFile or CSVFile
	Flow         string      `json:"flow,omitempty"`
	DecimalComma bool        `json:"decimal_comma,omitempty"`
	Size         int64       `json:"size"`
	Status       CheckStatus `json:"status"`
	Read         int64       `json:"read"` // bytes read so far, while a job reads the file
	// Previews say, scope by scope, what saving the file would change
	// and what the rules found, once it is read.
	Previews []Preview `json:"previews,omitempty"`
	// Problems say why the file was refused; More counts those past the
	// list.
	Problems []FileProblem `json:"problems,omitempty"`
	More     int           `json:"more,omitempty"`
	Error    string        `json:"error,omitempty"` // why the check failed, for people
	// Values are the figures read, by scope, which saving stores.
	Values    map[Scope][]Value `json:"-"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	ExpiresAt time.Time         `json:"expires_at"`
	SavedAt   *time.Time        `json:"saved_at"`
}

// CheckStatus is where the check of a file stands.
type CheckStatus string

// The statuses of a check.
const (
	CheckWaiting CheckStatus = "waiting" // a job will read the file
	CheckRunning CheckStatus = "running" // a job is reading it
	CheckRead    CheckStatus = "read"    // read and checked: its figures may be saved
	CheckRefused CheckStatus = "refused" // the file cannot be read: Problems say why
	CheckFailed  CheckStatus = "failed"  // the check itself failed: Error says why
	CheckSaved   CheckStatus = "saved"   // its figures were saved
)

// Finished reports whether the check has nothing more to do by itself.
func (c FileCheck) Finished() bool { return c.Status != CheckWaiting && c.Status != CheckRunning }

// Errors counts the error findings of the previews.
func (c FileCheck) Errors() int {
	n := 0
	for _, p := range c.Previews {
		n += p.Errors()
	}
	return n
}

// CheckStore keeps the checks of uploaded files, scoped by the actor: a
// check is its uploader's, and the secretariat's to see.
type CheckStore interface {
	// CreateCheck stores a new check, with the file to read when content
	// is not nil. Checks past their expiry are removed on the way.
	CreateCheck(ctx context.Context, by access.Actor, c FileCheck, content []byte) (FileCheck, error)
	// Check returns a check the actor may see, until it expires.
	Check(ctx context.Context, by access.Actor, id int64) (FileCheck, error)
	// StartCheck marks a waiting check running and gives the job that
	// reads it the file and the actor to act as: the uploader, as the
	// account stands now. ok is false when there is nothing to read (the
	// check expired, or another job read it).
	StartCheck(ctx context.Context, id int64) (c FileCheck, by access.Actor, content []byte, ok bool, err error)
	// CheckProgress records how much of the file a job has read.
	CheckProgress(ctx context.Context, id, read int64) error
	// FinishCheck records what a job found (status, previews, problems,
	// error, values); a finished check no longer holds its file.
	FinishCheck(ctx context.Context, c FileCheck) error
	// CheckSaved marks a check saved by the actor.
	CheckSaved(ctx context.Context, by access.Actor, id int64) (FileCheck, error)
}

// Enqueuer queues background jobs.
type Enqueuer interface {
	Enqueue(ctx context.Context, j job.Job) error
}

// CheckJob is the kind of the job that reads a large file.
const CheckJob = "collection.check"

// InlineBytes is the size up to which a file is read while its upload
// waits: a State's file of a round is tens of kilobytes, read in a few
// milliseconds. A larger file — a statistics office's export, or a file
// that is not what it should be — is read by a background job, and the
// page shows its progress rather than hanging.
const InlineBytes = 1 << 20

// CheckTTL is how long a check is kept: the day the focal point has to
// confirm the upload.
const CheckTTL = 24 * time.Hour

// Checker checks uploaded files and saves their figures once confirmed.
type Checker struct {
	Service *Service
	Store   CheckStore
	// Jobs reads large files in the background; nil refuses them.
	Jobs Enqueuer
}

// Start checks a file a focal point uploads for their State: at once for
// a small file, storing the check only if the file could be read (a file
// refused stores nothing, and the error names its problems, see
// FileProblems); through a background job for a large one, whose check
// is stored waiting.
func (c *Checker) Start(ctx context.Context, by access.Actor, round int64, state, stateName string, f File, r io.ReaderAt) (FileCheck, error) {
	fc := FileCheck{Round: round, State: state, StateName: stateName, Owner: by.UserID, Name: f.Name, Flow: f.Flow, DecimalComma: f.DecimalComma, Size: f.Size}
	if err := access.Check(by, access.SubmitData, state); err != nil {
		return fc, err
	}
	rd, err := c.Service.Store.Round(ctx, by, round)
	if err != nil {
		return fc, err
	}
	if err := rd.CheckOpen(civil.Of(c.Service.Now())); err != nil {
		return fc, err
	}
	if fc.Kind, err = FileKind(r); err != nil {
		return fc, err
	}
	if fc.Kind == WorkbookFile {
		fc.Flow, fc.DecimalComma = "", false
	} else if fc.Flow == "" {
		return fc, fail.Field("flow", "A CSV file answers one dataflow: choose it.")
	}
	if f.Size > InlineBytes {
		if c.Jobs == nil {
			return fc, fail.New(fail.Unavailable, "Files over %s are read in the background, which this server does not do. Upload a smaller file, or ask the administrator to run cpcj serve.", wbMegabytes(InlineBytes))
		}
		content := make([]byte, f.Size)
		if _, err := r.ReadAt(content, 0); err != nil && err != io.EOF {
			return fc, err
		}
		fc.Status = CheckWaiting
		if fc, err = c.Store.CreateCheck(ctx, by, fc, content); err != nil {
			return fc, err
		}
		payload, err := json.Marshal(checkPayload{Check: fc.ID})
		if err != nil {
			return fc, err
		}
		return fc, c.Jobs.Enqueue(ctx, job.Job{Kind: CheckJob, Payload: payload, Dedupe: fmt.Sprintf("%s:%d", CheckJob, fc.ID), MaxAttempts: 3})
	}
	values, err := c.Service.ReadFile(ctx, by, round, state, stateName, f, r)
	if err != nil {
		return fc, err
	}
	if fc.Previews, err = c.Service.DryRun(ctx, by, round, values); err != nil {
		return fc, err
	}
	fc.Status, fc.Values = CheckRead, values
	return c.Store.CreateCheck(ctx, by, fc, nil)
}

type checkPayload struct {
	Check int64 `json:"check"`
}

// Run is the job that reads a large file: it reads it as its uploader,
// noting its progress, and records the outcome in the check. A file
// refused is an outcome, not a failure of the job; a failure (the
// database, say) is retried, and recorded on the last attempt.
func (c *Checker) Run(ctx context.Context, j job.Job) error {
	var p checkPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("check job %d: payload: %w", j.ID, err)
	}
	fc, by, content, ok, err := c.Store.StartCheck(ctx, p.Check)
	if err != nil || !ok {
		return err
	}
	var last time.Time
	f := File{Name: fc.Name, Size: int64(len(content)), Flow: fc.Flow, DecimalComma: fc.DecimalComma,
		Progress: func(read int64) {
			if time.Since(last) < time.Second {
				return
			}
			last = time.Now()
			if err := c.Store.CheckProgress(ctx, fc.ID, read); err != nil {
				c.Service.Log.WarnContext(ctx, "check progress", "check", fc.ID, "err", err)
			}
		}}
	values, err := c.Service.ReadFile(ctx, by, fc.Round, fc.State, fc.StateName, f, bytes.NewReader(content))
	if err == nil {
		fc.Previews, err = c.Service.DryRun(ctx, by, fc.Round, values)
	}
	fc.Read = int64(len(content))
	switch list, more, refused := FileProblems(err); {
	case err == nil:
		fc.Status, fc.Values = CheckRead, values
	case refused:
		fc.Status, fc.Problems, fc.More, fc.Previews = CheckRefused, list, more, nil
	case j.Attempts < j.MaxAttempts:
		fc.Status = CheckWaiting
		if ferr := c.Store.FinishCheck(ctx, fc); ferr != nil {
			return fmt.Errorf("%w (and recording it: %v)", err, ferr)
		}
		return err
	default:
		fc.Status, fc.Error, fc.Previews = CheckFailed, "The file could not be checked, for a reason on the server's side. Upload it again; if it fails again, tell the secretariat.", nil
		if ferr := c.Store.FinishCheck(ctx, fc); ferr != nil {
			return fmt.Errorf("%w (and recording it: %v)", err, ferr)
		}
		return err
	}
	return c.Store.FinishCheck(ctx, fc)
}

// Save stores the figures of a file checked: all of them or none (see
// Service.SaveAll), and marks the check saved. The previews say what was
// stored, or why nothing was.
func (c *Checker) Save(ctx context.Context, by access.Actor, id int64) (FileCheck, error) {
	fc, err := c.Store.Check(ctx, by, id)
	if err != nil {
		return fc, err
	}
	switch fc.Status {
	case CheckRead:
	case CheckSaved:
		return fc, fail.New(fail.Conflict, "The figures of %s were saved already.", fc.Name)
	case CheckWaiting, CheckRunning:
		return fc, fail.New(fail.Conflict, "%s is still being read: wait until its check is done.", fc.Name)
	default:
		return fc, fail.New(fail.Conflict, "%s could not be read: there is nothing to save. Correct the file and upload it again.", fc.Name)
	}
	previews, err := c.Service.SaveAll(ctx, by, fc.Round, fc.Values)
	if err != nil {
		// What the rules find now, if they ran; else what they found.
		if previews != nil {
			fc.Previews = previews
		}
		return fc, err
	}
	if fc, err = c.Store.CheckSaved(ctx, by, id); err != nil {
		return fc, err
	}
	fc.Previews = previews
	return fc, nil
}
