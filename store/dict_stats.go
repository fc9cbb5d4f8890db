package store

import (
	"fmt"
	"strings"
)

// statsVectLen is DICT_STATS_VECTLEN: longer chains are counted with the last length.
const statsVectLen = 50

// Stats returns Redis's dictGetStats report of the table (DEBUG HTSTATS): its main table
// and, while rehashing, the rehashing target.
func (d *Dict[V]) Stats() string {
	var b strings.Builder
	d.tableStats(&b, 0)
	if d.rehashing() {
		d.tableStats(&b, 1)
	}
	return b.String()
}

func (d *Dict[V]) tableStats(b *strings.Builder, t int) {
	label := "main hash table"
	if t == 1 {
		label = "rehashing target"
	}
	fmt.Fprintf(b, "Hash table %d stats (%s):\n", t, label)
	if d.used[t] == 0 {
		b.WriteString("No stats available for empty dictionaries\n")
		return
	}
	var clvector [statsVectLen]int
	slots, maxChain, total := 0, 0, 0
	for _, e := range d.t[t] {
		if e == nil {
			clvector[0]++
			continue
		}
		slots++
		n := 0
		for ; e != nil; e = e.next {
			n++
		}
		clvector[min(n, statsVectLen-1)]++
		maxChain = max(maxChain, n)
		total += n
	}
	size := len(d.t[t])
	fmt.Fprintf(b, " table size: %d\n number of elements: %d\n different slots: %d\n max chain length: %d\n"+
		" avg chain length (counted): %.02f\n avg chain length (computed): %.02f\n Chain length distribution:\n",
		size, d.used[t], slots, maxChain, float64(total)/float64(slots), float64(d.used[t])/float64(slots))
	for i, n := range clvector {
		if n != 0 {
			fmt.Fprintf(b, "   %d: %d (%.02f%%)\n", i, n, float64(n)/float64(size)*100)
		}
	}
}
