package dissect

import "testing"

func TestBufPool(t *testing.T) {
	p := BufPool{Max: 2, MaxCap: 64}
	if b := p.Get(); b != nil {
		t.Fatalf("empty pool gave %v", b)
	}
	a := append(make([]byte, 0, 32), "abc"...)
	p.Put(a)
	p.Put(make([]byte, 0, 128)) // too large: dropped
	p.Put(nil)                  // nothing to keep
	p.Put(make([]byte, 0, 16))
	p.Put(make([]byte, 0, 16)) // pool full: dropped
	if len(p.free) != 2 {
		t.Fatalf("pool holds %d buffers, want 2", len(p.free))
	}
	p.Get()
	got := p.Get()
	if len(got) != 0 || cap(got) != 32 || &got[:1][0] != &a[:1][0] {
		t.Fatalf("Get returned len %d cap %d, want a's buffer emptied", len(got), cap(got))
	}
}

func TestFreeList(t *testing.T) {
	var l FreeList[int]
	l.Max = 1
	if l.Get() != nil {
		t.Fatal("empty list gave a value")
	}
	a, b := new(int), new(int)
	l.Put(a)
	l.Put(b) // full: dropped
	if got := l.Get(); got != a {
		t.Fatalf("Get = %p, want %p", got, a)
	}
	if l.Get() != nil {
		t.Fatal("a value was handed out twice")
	}
}
