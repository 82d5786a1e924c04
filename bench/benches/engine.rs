//! Engine micro-benchmarks: a long chain and a wide sum, forward + backward + drop.
//!
//! `cargo bench -p scalargrad-bench --bench engine`. Before the timings it prints the memory a
//! chain takes per node, measured by counting every allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use divan::counter::ItemsCount;
use scalargrad::Node;
use scalargrad::engine::sum;

/// Counts live and peak heap bytes.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CHAIN_NODES: usize = 1_000_000;

/// y <- y * w + x, repeated: two new nodes per step, each depending on the one before.
fn chain(nodes: usize) -> (Node, Node, Node) {
    let w = Node::new(0.999_999);
    let x = Node::new(1e-6);
    let mut y = Node::new(1.0);
    for _ in 0..nodes / 2 {
        y = &y * &w + &x;
    }
    (y, w, x)
}

fn main() {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let (y, w, x) = chain(CHAIN_NODES);
    let built = LIVE.load(Ordering::Relaxed) - before;
    y.backward();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert!(w.grad().is_finite() && x.grad().is_finite());
    drop((y, w, x));
    let kept = LIVE.load(Ordering::Relaxed) as isize - before as isize;
    scalargrad::engine::release_memory();
    let left = LIVE.load(Ordering::Relaxed) as isize - before as isize;
    println!(
        "chain of {CHAIN_NODES} nodes: {:.1} bytes/node held by the graph, {:.1} bytes/node at \
         peak (during backward); after drop {kept} bytes kept for the next graph, {left} after \
         engine::release_memory",
        built as f64 / CHAIN_NODES as f64,
        peak as f64 / CHAIN_NODES as f64
    );
    divan::main();
}

/// Forward (build), backward, drop of a 1,000,000-node chain; throughput is per node.
#[divan::bench(sample_count = 20)]
fn chain_forward_backward_drop(bencher: divan::Bencher) {
    bencher
        .counter(ItemsCount::new(CHAIN_NODES))
        .bench_local(|| {
            let (y, w, x) = chain(CHAIN_NODES);
            y.backward();
            divan::black_box((w.grad(), x.grad()));
        });
}

/// A sum of 100,000 leaves as one n-ary node: forward, backward, drop; throughput per term.
#[divan::bench(sample_count = 50)]
fn wide_sum_forward_backward_drop(bencher: divan::Bencher) {
    const TERMS: usize = 100_000;
    bencher.counter(ItemsCount::new(TERMS)).bench_local(|| {
        let terms: Vec<Node> = (0..TERMS).map(|i| Node::new(i as f64)).collect();
        let total = sum(&terms);
        total.backward();
        divan::black_box(terms[7].grad());
    });
}
