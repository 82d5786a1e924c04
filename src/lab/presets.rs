//! The notebook's example cells, in order, as lab programs: the page's presets, and the tests
//! check that each prints what the notebook printed.

/// One preset: a name for the list, and the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// Short name shown in the list.
    pub name: &'static str,
    /// What it shows.
    pub about: &'static str,
    /// The program, in the notebook's notation.
    pub program: &'static str,
}

/// Every example cell of the notebook, in order, then the two engines' difference.
pub const PRESETS: [Preset; 12] = [
    Preset {
        name: "accumulation",
        about: "In [7]: gradients accumulate: without zero_grad, the second backward adds to x's 2",
        program: "x = Node(5)\ny = Node(4)\nz = add(x, x)\nbackward(z)\nprint(z.grad, x.grad, y.grad)\nz = mul(add(x, y), add(x, y))\nbackward(z)\nprint(z.grad, x.grad, y.grad)\n",
    },
    Preset {
        name: "zero_grad",
        about: "In [9]: the same with zero_grad in between: 1 18 18",
        program: "x = Node(5)\ny = Node(4)\nz = add(x, x)\nbackward(z)\nprint(z.grad, x.grad, y.grad)\nzero_grad(z)\nz = mul(add(x, y), add(x, y))\nbackward(z)\nprint(z.grad, x.grad, y.grad)\n",
    },
    Preset {
        name: "add",
        about: "In [11]: the + operator",
        program: "x = Node(5)\ny = Node(5)\nz = x + y\nprint(z.value)\n",
    },
    Preset {
        name: "mul",
        about: "In [13]: the * operator",
        program: "x = Node(2)\ny = Node(5)\nz = x * y\nprint(z.value)\n",
    },
    Preset {
        name: "neg",
        about: "In [16]: x * -y: neg, then mul",
        program: "x = Node(4)\ny = Node(5)\nz = x * -y\nprint(z.value)\nbackward(z)\nprint(z.grad, x.grad, y.grad)\n",
    },
    Preset {
        name: "sub",
        about: "In [18]: x - y is add(x, neg(y))",
        program: "x = Node(1)\ny = Node(22)\nz = x - y\nprint(z.value)\nbackward(z)\nprint(z.grad, x.grad, y.grad)\n",
    },
    Preset {
        name: "pow",
        about: "In [21]: a power with a number exponent",
        program: "x = Node(5)\nz = x ** 2\nprint(z.value)\n",
    },
    Preset {
        name: "exp",
        about: "In [23]: d/dx exp(x) = exp(x)",
        program: "x = Node(1)\nz = exp(x)\nbackward(z)\nprint(z.value, x.grad)\n",
    },
    Preset {
        name: "log",
        about: "In [25]: d/dx log(x) = 1/x",
        program: "x = Node(10)\nz = log(x)\nbackward(z)\nprint(z.value, x.grad)\n",
    },
    Preset {
        name: "sin",
        about: "In [27]: d/dx sin(x) = cos(x)",
        program: "x = Node(5)\nz = sin(x)\nbackward(z)\nprint(z.value, x.grad)\n",
    },
    Preset {
        name: "gradcheck",
        about: "In [42]: every op and composite against a central difference",
        program: r#"print("\n===== SINGLE OP TESTS =====\n")
gradcheck(x + 3, 2.0)
gradcheck(3 + x, 2.0)
gradcheck(x - 3, 5.0)
gradcheck(3 - x, 5.0)
gradcheck(x * 4, 3.0)
gradcheck(4 * x, 3.0)
gradcheck(x ** 2, 2.0)
gradcheck(-x, 3.0)
gradcheck(exp(x), 1.0)
gradcheck(log(x), 2.0)
gradcheck(sin(x), 1.5)
print("\n===== COMPOSITE TESTS =====\n")
gradcheck("(x + 1)(x + 1)", (x + 1) * (x + 1), 2.0)
gradcheck("(x - 2)(x + 2)", (x - 2) * (x + 2), 3.0)
gradcheck("(x + 1)(1 + x)", (x + 1) * (1 + x), 2.0)
gradcheck(exp(x) * x, 1.0)
gradcheck(log(x) * x, 2.0)
gradcheck(-(x + 3), 4.0)
"#,
    },
    Preset {
        name: "backward twice",
        about: "Where the engines differ: a second backward adds exactly the same again here (24); \
                the notebook's engine adds y's old gradient again through y (36)",
        program: "x = Node(3)\ny = x * x\nz = y + y\nbackward(z)\nprint(x.grad)\nbackward(z)\nprint(x.grad)\n",
    },
];
