package runtime

import (
	"fmt"
	goruntime "runtime"
	"sync"
	"sync/atomic"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// Images is the throughput mode: a plan compiled for one image, run by
// several groups of threads that each take whole images, one after
// another, with no barrier between groups (each group is an Executor of
// its own, with its own arena). For a batch of at least as many images as
// threads (groups of one thread) it avoids the per-step barriers and the
// small chunks of splitting every step, at the price of each image's
// latency (one core per image); for a smaller batch, groups of several
// threads keep every core busy (16 threads, batch 8: 8 groups of 2).
//
// Run's inputs and outputs are the plan's with any batch in place of its
// batch of 1. Images claim the next image with one atomic counter per image
// (not per step). Run does not allocate; it is not safe for concurrent use.
type Images struct {
	p     *plan.Plan
	execs []*Executor
	views [][2][]*ir.Tensor // per thread: batch-1 views of the inputs and outputs

	next  atomic.Int64
	batch int
	ins   []*ir.Tensor
	outs  []*ir.Tensor
	err   []error
	start []chan struct{}
	wg    sync.WaitGroup
	stop  chan struct{}
	once  sync.Once
}

// NewImages prepares p (batch 1) for threads threads (0: all cores) of
// whole images each.
func NewImages(p *plan.Plan, threads int) (*Images, error) { return NewImageGroups(p, threads, 1) }

// ImageGroupThreads is how many threads each group of the throughput mode
// should have for a batch on threads threads: one when the batch gives
// every thread an image, else threads/batch, so that the batch's images
// run at once on groups that together take the threads (16 threads,
// batch 8: 2; batch 3: 5, one thread idle).
func ImageGroupThreads(threads, batch int) int {
	if batch <= 0 || threads <= batch {
		return 1
	}
	return threads / batch
}

// NewImageGroups prepares p (batch 1) for threads threads (0: all cores)
// in groups of perGroup threads (at most threads), each group running
// whole images split over its threads; threads beyond a whole number of
// groups stay idle.
func NewImageGroups(p *plan.Plan, threads, perGroup int) (*Images, error) {
	if p == nil {
		return nil, fmt.Errorf("runtime: nil plan")
	}
	if p.Batch != 1 {
		return nil, fmt.Errorf("runtime: the throughput mode takes a plan compiled for batch 1, %q has batch %d", p.Name, p.Batch)
	}
	if threads <= 0 {
		threads = goruntime.NumCPU()
	}
	perGroup = min(max(perGroup, 1), threads)
	groups := threads / perGroup
	m := &Images{p: p, stop: make(chan struct{})}
	for t := 0; t < groups; t++ {
		e, err := New(p, Options{Threads: perGroup})
		if err != nil {
			m.Close()
			return nil, err
		}
		m.execs = append(m.execs, e)
		var v [2][]*ir.Tensor
		for _, io := range p.Inputs {
			v[0] = append(v[0], &ir.Tensor{Shape: io.Buf.Shape.Clone()})
		}
		for _, io := range p.Outputs {
			v[1] = append(v[1], &ir.Tensor{Shape: io.Buf.Shape.Clone()})
		}
		m.views = append(m.views, v)
		m.err = append(m.err, nil)
	}
	for t := 1; t < groups; t++ {
		c := make(chan struct{})
		m.start = append(m.start, c)
		go m.worker(t, c)
	}
	return m, nil
}

// Threads returns the number of threads (groups × threads per group).
func (m *Images) Threads() int { return len(m.execs) * m.execs[0].Threads() }

// Groups returns the number of groups (each runs whole images).
func (m *Images) Groups() int { return len(m.execs) }

// Plan returns the batch-1 plan.
func (m *Images) Plan() *plan.Plan { return m.p }

// Close stops the threads.
func (m *Images) Close() {
	m.once.Do(func() {
		close(m.stop)
		for _, e := range m.execs {
			e.Close()
		}
	})
}

func (m *Images) worker(t int, start chan struct{}) {
	for {
		select {
		case <-m.stop:
			return
		case <-start:
			m.work(t)
			m.wg.Done()
		}
	}
}

// work runs images on group t until none are left.
func (m *Images) work(t int) {
	v := m.views[t]
	for {
		i := int(m.next.Add(1) - 1)
		if i >= m.batch {
			return
		}
		for j, in := range m.ins {
			n := len(in.Data) / m.batch
			v[0][j].Data = in.Data[i*n : (i+1)*n]
		}
		for j, out := range m.outs {
			n := len(out.Data) / m.batch
			v[1][j].Data = out.Data[i*n : (i+1)*n]
		}
		if err := m.execs[t].Run(v[0], v[1]); err != nil && m.err[t] == nil {
			m.err[t] = err
		}
	}
}

// Run computes the outputs of every image of the inputs (NCHW, batch N ≥ 1
// in dimension 0, the plan's shapes otherwise).
func (m *Images) Run(inputs, outputs []*ir.Tensor) error {
	p := m.p
	if len(inputs) != len(p.Inputs) || len(outputs) != len(p.Outputs) {
		return fmt.Errorf("runtime: plan %q takes %d inputs and %d outputs, got %d and %d", p.Name, len(p.Inputs), len(p.Outputs), len(inputs), len(outputs))
	}
	batch := -1
	check := func(what string, io plan.IO, t *ir.Tensor) error {
		if t == nil {
			return fmt.Errorf("runtime: %s %q is nil", what, io.Name)
		}
		s := io.Buf.Shape
		ok := len(t.Shape) == len(s) && len(s) > 0 && t.Shape[0] >= 1 && (batch < 0 || t.Shape[0] == batch)
		for d := 1; ok && d < len(s); d++ {
			ok = t.Shape[d] == s[d]
		}
		if !ok || len(t.Data) != t.Shape.Size() {
			return fmt.Errorf("runtime: %s %q has shape %v (%d values), the plan needs N%v with the same N for every input and output", what, io.Name, t.Shape, len(t.Data), []int(s[1:]))
		}
		batch = t.Shape[0]
		return nil
	}
	for i, io := range p.Inputs {
		if err := check("input", io, inputs[i]); err != nil {
			return err
		}
	}
	for i, io := range p.Outputs {
		if err := check("output", io, outputs[i]); err != nil {
			return err
		}
	}
	m.ins, m.outs, m.batch = inputs, outputs, batch
	m.next.Store(0)
	for t := range m.err {
		m.err[t] = nil
	}
	m.wg.Add(len(m.start))
	for _, c := range m.start {
		c <- struct{}{}
	}
	m.work(0)
	m.wg.Wait()
	m.ins, m.outs = nil, nil
	for t := range m.views {
		for _, v := range m.views[t] {
			for _, x := range v {
				x.Data = nil // do not keep the caller's memory alive
			}
		}
	}
	for _, err := range m.err {
		if err != nil {
			return err
		}
	}
	return nil
}
