//! The lab's language: the notebook's cells, one statement a line. A parse error names the line
//! and column.
//!
//! ```text
//! statement := NAME '=' expr | expr            (backward(z), z.backward(), zero_grad(z),
//!                                               print(...), gradcheck(expr, x0[, eps, tol]))
//! expr      := term (('+' | '-') term)*
//! term      := unary (('*' | '/') unary)*
//! unary     := '-' unary | power
//! power     := postfix ('**' unary)?            (right-associative, binds tighter than '-')
//! postfix   := primary ('.' NAME ('(' ')')?)*
//! primary   := NUMBER | STRING | NAME ('(' args ')')? | '(' expr ')'
//! ```

use super::LabError;

/// Deepest nesting of parentheses and operators a program may use: the parser and the
/// evaluator recurse once per level.
pub const MAX_DEPTH: usize = 100;

/// Most operations (operators, calls, attributes) one line may hold: an expression's tree is at
/// most this deep plus [`MAX_DEPTH`], which bounds the evaluator's recursion.
pub const MAX_OPERATIONS: usize = 100;

/// Where something is in the program: 1-based line and column, and its byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Byte offset of its start in the program.
    pub start: usize,
    /// Byte offset just past its end.
    pub end: usize,
}

/// A two-operand operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `**`
    Pow,
}

/// An expression, as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number; `integral` when written without a point or exponent (Python's int).
    Number {
        /// Its value.
        value: f64,
        /// Written as an int.
        integral: bool,
    },
    /// A string literal (for `print`).
    Text(String),
    /// A variable.
    Name(String, Span),
    /// `-a`
    Negate(Box<Expr>, Span),
    /// `a op b`
    Binary(Operator, Box<Expr>, Box<Expr>, Span),
    /// `f(args)`, with each argument's place (a gradient check prints its expression as
    /// written).
    Call(String, Vec<Expr>, Span, Vec<Span>),
    /// `a.name`
    Attribute(Box<Expr>, String, Span),
    /// `a.name()`
    Method(Box<Expr>, String, Span),
}

/// One line's statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// `name = expr`
    Assign(String, Expr),
    /// Any other expression: a call such as `backward(z)`, `print(...)`, `gradcheck(...)`, or
    /// `z.backward()`.
    Expr(Expr),
}

/// A statement and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// What it says.
    pub statement: Statement,
    /// Where it starts.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64, bool),
    Text(String),
    Name(String),
    Symbol(&'static str),
}

struct Lexed {
    token: Token,
    span: Span,
}

/// Reads the program into statements, one a line (blank lines and `#` comments skipped).
///
/// # Errors
/// The first line that does not parse, with its line and column.
pub fn parse(program: &str) -> Result<Vec<Line>, LabError> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for (number, text) in program.split('\n').enumerate() {
        let tokens = lex(text, number + 1, offset)?;
        offset += text.len() + 1;
        if tokens.is_empty() {
            continue;
        }
        let span = tokens[0].span;
        let mut parser = Parser {
            tokens,
            at: 0,
            line: number + 1,
            end_column: text.chars().count() + 1,
            depth: 0,
            operations: 0,
        };
        let statement = parser.statement()?;
        lines.push(Line { statement, span });
    }
    Ok(lines)
}

fn error(line: usize, column: usize, message: impl Into<String>) -> LabError {
    LabError::Parse {
        line,
        column,
        message: message.into(),
    }
}

fn lex(text: &str, line: usize, offset: usize) -> Result<Vec<Lexed>, LabError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (byte, c) = chars[i];
        let column = i + 1;
        let span = |end_index: usize| Span {
            line,
            column,
            start: offset + byte,
            end: offset + chars.get(end_index).map_or(text.len(), |&(b, _)| b),
        };
        if c == '#' {
            break;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|(_, d)| d.is_ascii_digit()))
        {
            let mut j = i;
            let mut integral = true;
            while j < chars.len() && (chars[j].1.is_ascii_digit() || chars[j].1 == '.') {
                integral &= chars[j].1 != '.';
                j += 1;
            }
            if j < chars.len() && matches!(chars[j].1, 'e' | 'E') {
                let mut k = j + 1;
                if k < chars.len() && matches!(chars[k].1, '+' | '-') {
                    k += 1;
                }
                if k < chars.len() && chars[k].1.is_ascii_digit() {
                    integral = false;
                    j = k;
                    while j < chars.len() && chars[j].1.is_ascii_digit() {
                        j += 1;
                    }
                }
            }
            let written: String = chars[i..j].iter().map(|&(_, c)| c).collect();
            let value: f64 = written
                .parse()
                .map_err(|_| error(line, column, format!("`{written}` is not a number")))?;
            tokens.push(Lexed {
                token: Token::Number(value, integral),
                span: span(j),
            });
            i = j;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_') {
                j += 1;
            }
            let name: String = chars[i..j].iter().map(|&(_, c)| c).collect();
            tokens.push(Lexed {
                token: Token::Name(name),
                span: span(j),
            });
            i = j;
            continue;
        }
        if c == '"' || c == '\'' {
            let mut j = i + 1;
            let mut written = String::new();
            while j < chars.len() && chars[j].1 != c {
                if chars[j].1 == '\\' && j + 1 < chars.len() {
                    j += 1;
                    written.push(match chars[j].1 {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                } else {
                    written.push(chars[j].1);
                }
                j += 1;
            }
            if j >= chars.len() {
                return Err(error(line, column, "this string is not closed on its line"));
            }
            tokens.push(Lexed {
                token: Token::Text(written),
                span: span(j + 1),
            });
            i = j + 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())]
            .iter()
            .map(|&(_, c)| c)
            .collect();
        let symbol = if two == "**" {
            "**"
        } else {
            match c {
                '+' => "+",
                '-' => "-",
                '*' => "*",
                '/' => "/",
                '(' => "(",
                ')' => ")",
                ',' => ",",
                '.' => ".",
                '=' => "=",
                other => {
                    return Err(error(
                        line,
                        column,
                        format!("unexpected character `{other}`"),
                    ));
                }
            }
        };
        let width = symbol.len();
        tokens.push(Lexed {
            token: Token::Symbol(symbol),
            span: span(i + width),
        });
        i += width;
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Lexed>,
    at: usize,
    line: usize,
    end_column: usize,
    depth: usize,
    operations: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|t| &t.token)
    }

    fn here(&self) -> (usize, usize) {
        self.tokens
            .get(self.at)
            .map_or((self.line, self.end_column), |t| {
                (t.span.line, t.span.column)
            })
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, LabError> {
        let (line, column) = self.here();
        Err(error(line, column, message))
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol)
    }

    fn expect(&mut self, symbol: &str, what: &str) -> Result<(), LabError> {
        if self.is_symbol(symbol) {
            self.at += 1;
            Ok(())
        } else {
            self.fail(format!("expected `{symbol}` {what}"))
        }
    }

    fn statement(&mut self) -> Result<Statement, LabError> {
        let assignment = matches!(
            (
                self.tokens.first().map(|t| &t.token),
                self.tokens.get(1).map(|t| &t.token)
            ),
            (Some(Token::Name(_)), Some(Token::Symbol("=")))
        );
        let statement = if assignment {
            let Some(Token::Name(name)) = self.peek().cloned() else {
                unreachable!("checked above: the line starts with a name and `=`")
            };
            self.at += 2;
            if self.peek().is_none() {
                return self.fail(format!("expected an expression after `{name} =`"));
            }
            Statement::Assign(name, self.expr()?)
        } else {
            Statement::Expr(self.expr()?)
        };
        if self.peek().is_some() {
            return self.fail("expected the end of the line (one statement a line)");
        }
        Ok(statement)
    }

    fn deeper(&mut self) -> Result<(), LabError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        Ok(())
    }

    /// Counts one more operation on this line.
    fn operation(&mut self) -> Result<(), LabError> {
        self.operations += 1;
        if self.operations > MAX_OPERATIONS {
            return self.fail(format!(
                "more than {MAX_OPERATIONS} operations on one line: split it over several \
                 (`a = x * x`, then `z = a * a`)"
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, LabError> {
        self.deeper()?;
        let mut left = self.term()?;
        while let Some(Token::Symbol(s @ ("+" | "-"))) = self.peek() {
            let operator = if *s == "+" {
                Operator::Add
            } else {
                Operator::Sub
            };
            let span = self.tokens[self.at].span;
            self.operation()?;
            self.at += 1;
            let right = self.term()?;
            left = Expr::Binary(operator, Box::new(left), Box::new(right), span);
        }
        self.depth -= 1;
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, LabError> {
        let mut left = self.unary()?;
        while let Some(Token::Symbol(s @ ("*" | "/"))) = self.peek() {
            let operator = if *s == "*" {
                Operator::Mul
            } else {
                Operator::Div
            };
            let span = self.tokens[self.at].span;
            self.operation()?;
            self.at += 1;
            let right = self.unary()?;
            left = Expr::Binary(operator, Box::new(left), Box::new(right), span);
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, LabError> {
        if self.is_symbol("-") {
            let span = self.tokens[self.at].span;
            self.operation()?;
            self.at += 1;
            self.deeper()?;
            let operand = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Negate(Box::new(operand), span));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, LabError> {
        let base = self.postfix()?;
        if self.is_symbol("**") {
            let span = self.tokens[self.at].span;
            self.operation()?;
            self.at += 1;
            self.deeper()?;
            let exponent = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Binary(
                Operator::Pow,
                Box::new(base),
                Box::new(exponent),
                span,
            ));
        }
        Ok(base)
    }

    fn postfix(&mut self) -> Result<Expr, LabError> {
        let mut value = self.primary()?;
        while self.is_symbol(".") {
            self.operation()?;
            self.at += 1;
            let span = self.tokens.get(self.at).map(|t| t.span);
            let Some(Token::Name(name)) = self.peek().cloned() else {
                return self.fail("expected a name after `.` (`.grad`, `.value`, `.backward()`)");
            };
            let span = span.expect("a name token was just read");
            self.at += 1;
            if self.is_symbol("(") {
                self.at += 1;
                self.expect(
                    ")",
                    &format!("after `.{name}(` (methods take no arguments)"),
                )?;
                value = Expr::Method(Box::new(value), name, span);
            } else {
                value = Expr::Attribute(Box::new(value), name, span);
            }
        }
        Ok(value)
    }

    fn primary(&mut self) -> Result<Expr, LabError> {
        let Some(lexed) = self.tokens.get(self.at) else {
            return self.fail("expected an expression, found the end of the line");
        };
        let span = lexed.span;
        match lexed.token.clone() {
            Token::Number(value, integral) => {
                self.at += 1;
                Ok(Expr::Number { value, integral })
            }
            Token::Text(text) => {
                self.at += 1;
                Ok(Expr::Text(text))
            }
            Token::Name(name) => {
                self.at += 1;
                if !self.is_symbol("(") {
                    return Ok(Expr::Name(name, span));
                }
                self.operation()?;
                self.at += 1;
                let mut arguments = Vec::new();
                let mut places = Vec::new();
                if !self.is_symbol(")") {
                    loop {
                        let first = self.tokens.get(self.at).map(|t| t.span);
                        arguments.push(self.expr()?);
                        if let (Some(first), Some(last)) = (first, self.tokens.get(self.at - 1)) {
                            places.push(Span {
                                end: last.span.end,
                                ..first
                            });
                        }
                        if self.is_symbol(",") {
                            self.at += 1;
                            continue;
                        }
                        break;
                    }
                }
                self.expect(")", &format!("to close `{name}(`"))?;
                Ok(Expr::Call(name, arguments, span, places))
            }
            Token::Symbol("(") => {
                self.at += 1;
                let inner = self.expr()?;
                self.expect(")", "to close `(`")?;
                Ok(inner)
            }
            Token::Symbol(other) => self.fail(format!("expected an expression, found `{other}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_error(program: &str) -> (usize, usize, String) {
        match parse(program) {
            Err(LabError::Parse {
                line,
                column,
                message,
            }) => (line, column, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn precedence_is_pythons() {
        let lines = parse("z = -x ** 2 + 3 * y").expect("parses");
        let Statement::Assign(name, Expr::Binary(Operator::Add, left, right, _)) =
            &lines[0].statement
        else {
            panic!("{:?}", lines[0])
        };
        assert_eq!(name, "z");
        assert!(
            matches!(**left, Expr::Negate(ref inner, _) if matches!(**inner, Expr::Binary(Operator::Pow, ..)))
        );
        assert!(matches!(**right, Expr::Binary(Operator::Mul, ..)));
    }

    #[test]
    fn errors_name_line_and_column() {
        assert_eq!(parse_error("x = Node(5)\ny = x +").0, 2);
        assert_eq!(parse_error("x = Node(5)\ny = x +").1, 8);
        assert_eq!(
            parse_error("x = 5 $ 3"),
            (1, 7, "unexpected character `$`".into())
        );
        assert_eq!(parse_error("print(x").2, "expected `)` to close `print(`");
        assert_eq!(parse_error("x = (1").1, 7);
        let deep = format!("x = {}1{}", "(".repeat(200), ")".repeat(200));
        assert!(parse_error(&deep).2.contains("nested more than 100"));
        let long = format!("x = 1{}", " * 2".repeat(101));
        assert!(
            parse_error(&long)
                .2
                .contains("more than 100 operations on one line")
        );
    }

    #[test]
    fn numbers_remember_whether_they_were_ints() {
        let lines = parse("a = 5\nb = 5.0\nc = 1e3").expect("parses");
        let integral: Vec<bool> = lines
            .iter()
            .map(|l| match &l.statement {
                Statement::Assign(_, Expr::Number { integral, .. }) => *integral,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(integral, [true, false, false]);
    }
}
