package sync

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/tminus-ir/tminus/domain"
	"github.com/tminus-ir/tminus/store"
)

// peakMem samples the process's heap in use and resident set until stop
// is called, and returns their peaks in MiB.
func peakMem() (stop func() (heapMiB, rssMiB float64)) {
	done := make(chan struct{})
	var wg gosync.WaitGroup
	var heap, rss uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = max(heap, ms.HeapInuse)
		rss = max(rss, residentBytes())
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (float64, float64) {
		close(done)
		wg.Wait()
		sample()
		return float64(heap) / (1 << 20), float64(rss) / (1 << 20)
	}
}

// residentBytes reads the process's resident set from /proc (0 elsewhere).
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// bigBlobs stores n incompressible blobs of size bytes in st.
func bigBlobs(tb testing.TB, st *store.Store, n, size int) []string {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	var hashes []string
	for range n {
		data := make([]byte, size)
		for i := 0; i < len(data); i += 8 {
			binary.LittleEndian.PutUint64(data[i:], rng.Uint64())
		}
		h, err := st.PutBlob(context.Background(), data)
		if err != nil {
			tb.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	return hashes
}

// blobPuller is a peer that asks a session for blobs and reads the answers'
// frames without keeping them: the memory measured is the serving side's.
type blobPuller struct {
	r  io.Reader
	fw *Framed // writes only
}

// pull sends Status and one GetBlobs naming hashes, and reads frames until
// len(hashes) Blobs answers are in; it returns their body bytes.
func (p *blobPuller) pull(ws [32]byte, hashes []string) (int64, error) {
	if err := send(p.fw, StatusMsg, &Status{WS: ws}); err != nil {
		return 0, err
	}
	if err := send(p.fw, GetBlobsMsg, &GetBlobs{Hashes: hashes}); err != nil {
		return 0, err
	}
	var total int64
	var hdr [5]byte
	for got := 0; got < len(hashes); {
		if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
			return total, err
		}
		size := int64(binary.BigEndian.Uint32(hdr[1:]))
		if _, err := io.CopyN(io.Discard, p.r, size); err != nil {
			return total, err
		}
		if hdr[0] == BlobsMsg {
			got++
			total += size
		}
	}
	return total, nil
}

// serveBlobsTo runs one session on st per puller, each asking for
// asks (hashes, repeats allowed) at once, and waits until every puller
// has its answers.
func serveBlobsTo(tb testing.TB, st *store.Store, pullers int, asks []string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg gosync.WaitGroup
	errs := make(chan error, pullers)
	for range pullers {
		r1, w1 := io.Pipe() // puller -> session
		r2, w2 := io.Pipe() // session -> puller
		s := &Session{St: st, RW: NewFramed(r1, w2, w2)}
		p := &blobPuller{r: r2, fw: NewFramed(nil, w1, nil)}
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.Run(ctx)
			w2.Close()
			io.Copy(io.Discard, r1)
		}()
		go func() {
			defer wg.Done()
			_, err := p.pull(st.Workspace(), asks)
			errs <- err
			w1.Close() // the session reads EOF and ends
			io.Copy(io.Discard, r2)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkBlobServeMem: the case that peaked at 366 MB RSS, four
// 15 MiB blobs served to two peers at once, each with eight requests in
// flight, and to one peer alone (a single transfer's speed); reports the
// serving process's peak heap in use and RSS, and the bytes served a second.
func BenchmarkBlobServeMem(b *testing.B) {
	w := newWorkspace(b, 91, 1)
	st := w.members[0].st
	hashes := bigBlobs(b, st, 4, store.MaxBlob)
	asks := append(append([]string{}, hashes...), hashes...)
	for _, peers := range []int{1, 2} {
		b.Run(fmt.Sprintf("peers=%d", peers), func(b *testing.B) {
			var heap, rss float64
			for range b.N {
				b.StopTimer()
				runtime.GC()
				debug.FreeOSMemory()
				b.StartTimer()
				stop := peakMem()
				serveBlobsTo(b, st, peers, asks)
				h, r := stop()
				heap, rss = max(heap, h), max(rss, r)
			}
			b.ReportMetric(heap, "peak-heap-MiB")
			b.ReportMetric(rss, "peak-rss-MiB")
			b.ReportMetric(float64(b.N*peers*len(asks)*store.MaxBlob)/(1<<20)/b.Elapsed().Seconds(), "MiB/s")
		})
	}
}

// blobAnswerer is a far end that answers GetBlobs from frames encoded once,
// so that the memory measured is the receiving side's.
func blobAnswerer(r io.Reader, w io.Writer, ws [32]byte, frames map[string][]byte) error {
	fr := NewFramed(r, w, nil)
	if err := send(fr, StatusMsg, &Status{WS: ws}); err != nil {
		return err
	}
	for {
		msg, err := fr.ReadMsg()
		if err != nil {
			return err
		}
		if msg.Code != GetBlobsMsg {
			msg.Discard()
			continue
		}
		var m GetBlobs
		if err := decode(msg, &m); err != nil {
			return err
		}
		for _, h := range m.Hashes {
			if _, err := w.Write(frames[h]); err != nil {
				return err
			}
		}
	}
}

// BenchmarkBlobReceiveMem: a replica fetching four 15 MiB blobs from one
// peer at once; reports its peak heap in use and RSS above what they were
// before (the answering side's frames are made beforehand).
func BenchmarkBlobReceiveMem(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	frames := map[string][]byte{}
	var hashes []string
	for range 4 {
		data := make([]byte, store.MaxBlob)
		for i := 0; i < len(data); i += 8 {
			binary.LittleEndian.PutUint64(data[i:], rng.Uint64())
		}
		var buf bytesBuffer
		if err := send(NewFramed(nil, &buf, nil), BlobsMsg, &Blobs{Data: [][]byte{data}}); err != nil {
			b.Fatal(err)
		}
		h := store.BlobHash(data)
		frames[h] = buf.b
		hashes = append(hashes, h)
	}
	var heap, rss float64
	for i := range b.N {
		b.StopTimer()
		w := newWorkspace(b, int64(100+i), 1)
		st := w.members[0].st
		r1, w1 := io.Pipe() // replica -> far end
		r2, w2 := io.Pipe() // far end -> replica
		go func() {
			blobAnswerer(r1, w2, st.Workspace(), frames)
			w2.Close()
			io.Copy(io.Discard, r1)
		}()
		s := &Session{St: st, RW: NewFramed(r2, w1, w1), OneShot: true, Idle: 100 * time.Millisecond, Want: hashes}
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		baseHeap, baseRSS := float64(ms.HeapInuse)/(1<<20), float64(residentBytes())/(1<<20)
		b.StartTimer()
		stop := peakMem()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := s.Run(ctx)
		cancel()
		h, r := stop()
		w1.Close()
		if err != nil || s.Stats.Blobs != len(hashes) {
			b.Fatalf("replica: %v, %d blobs", err, s.Stats.Blobs)
		}
		heap, rss = max(heap, h-baseHeap), max(rss, r-baseRSS)
	}
	b.ReportMetric(heap, "peak-heap-MiB")
	b.ReportMetric(rss, "peak-rss-MiB")
}

// bytesBuffer collects writes; bytes.Buffer would grow past what is needed.
type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// BenchmarkBlobNodeMem: three nodes over devp2p in one process, one
// holding four 15 MiB evidence blobs that the other two fetch from it at
// once (the scan, eight asks in flight each); reports the process's peak
// heap and RSS, senders' and receivers' together, devp2p's buffers included.
func BenchmarkBlobNodeMem(b *testing.B) {
	var heap, rss float64
	for i := range b.N {
		b.StopTimer()
		w := newWorkspace(b, int64(200+i), 3)
		src := w.members[0]
		ctx := context.Background()
		hashes := bigBlobs(b, src.st, 4, store.MaxBlob)
		for k, h := range hashes {
			if _, err := src.st.Append(ctx, src.signer, &domain.EvidenceAdd{Incident: w.inc, Name: fmt.Sprintf("dump-%d.bin", k), SHA256: h, Size: store.MaxBlob}); err != nil {
				b.Fatal(err)
			}
		}
		raws := seedRaws(b, src.st)
		for _, m := range w.members[1:] {
			if _, err := m.st.Ingest(ctx, raws); err != nil {
				b.Fatal(err)
			}
		}
		w.start()
		runtime.GC()
		debug.FreeOSMemory()
		b.StartTimer()
		stop := peakMem()
		w.link(1, 0)
		w.link(2, 0)
		deadline := time.Now().Add(2 * time.Minute)
		for _, m := range w.members[1:] {
			for _, h := range hashes {
				for {
					ok, err := m.st.HasBlob(ctx, h)
					if err != nil {
						b.Fatal(err)
					}
					if ok {
						break
					}
					if time.Now().After(deadline) {
						b.Fatal("blobs not replicated within 2 minutes")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		}
		h, r := stop()
		heap, rss = max(heap, h), max(rss, r)
		b.StopTimer()
		for _, m := range w.members {
			m.node.Stop()
		}
		b.StartTimer()
	}
	b.ReportMetric(heap, "peak-heap-MiB")
	b.ReportMetric(rss, "peak-rss-MiB")
}
