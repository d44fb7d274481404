// cgoleak.go - the classic cgo leak, for run.sh: C.malloc'ed buffers that
// the Go side never hands to C.free. 100 requests leak 4096 bytes each
// from leakRequest; 100 more are freed. Meanwhile goroutines on several
// threads, a timer and a signal sent to itself keep the Go runtime's own
// threads and signal handling busy, and main checks they all worked.
//
// It then holds for 1.5 s: a Go program ends with a raw exit_group system
// call, which no LD_PRELOAD library sees, so the probe publishes no final
// snapshot and the last one is the last periodic one (see the README's
// Limits). With --interval 100 that one holds every allocation.
package main

/*
#include <stdlib.h>
#include <string.h>

static void *leak_request(size_t n)
{
	void *p = malloc(n);
	if (p)
		memset(p, 1, n);
	return p;
}
*/
import "C"

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

var kept []unsafe.Pointer

const holdMs = 1500

func leakRequest() {
	kept = append(kept, C.leak_request(4096))
}

func freedRequest() {
	p := C.malloc(4096)
	C.free(p)
}

func main() {
	runtime.GOMAXPROCS(4)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)

	var wg sync.WaitGroup
	sums := make([]int, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			m := map[string]int{}
			for i := 0; i < 20000; i++ {
				m[fmt.Sprint(i%500)] += i
			}
			sums[g] = len(m)
		}(g)
	}
	for i := 0; i < 100; i++ {
		leakRequest()
		freedRequest()
	}
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	select {
	case <-sigs:
	case <-time.After(5 * time.Second):
		fmt.Println("cgoleak: SIGUSR1 never arrived")
		os.Exit(4)
	}
	timer := time.NewTimer(50 * time.Millisecond)
	<-timer.C
	wg.Wait()
	for _, s := range sums {
		if s != 500 {
			fmt.Println("cgoleak: a goroutine went wrong:", sums)
			os.Exit(5)
		}
	}
	time.Sleep(time.Duration(holdMs) * time.Millisecond)
	fmt.Printf("cgoleak: %d requests kept, goroutines, signal and timer fine\n", len(kept))
}
