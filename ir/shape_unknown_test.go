package ir

import "testing"

// An unknown (-1) dimension never turns into a wrong known size.
func TestUnknownDimsStayUnknown(t *testing.T) {
	g := New("u")
	a := g.AddInput("a", -1, 72)
	b := g.AddInput("b", -1, 36)
	a2 := g.AddInput("a2", 2, 72)
	c := g.AddNode(OpConcat, "cat0", Attrs{Axis: 0}, a, a2)
	d := g.AddNode(OpConcat, "cat1", Attrs{Axis: 1}, a, b)
	x := g.AddInput("x", -1, 3, 4, 4)
	p := g.AddNode(OpPad, "pad", Attrs{PadAmounts: []int{0, 0, 1, 1, 0, 0, 1, 1}}, x)
	g.SetOutputs(c, d, p)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	for v, want := range map[*Value]Shape{c: {-1, 72}, d: {-1, 108}, p: {-1, 3, 6, 6}} {
		if !v.Shape.Equal(want) {
			t.Errorf("%s: shape %v, want %v", v.Name, v.Shape, want)
		}
	}
}
