//! Splitting SQL text into statements the way psql does, before any of it is parsed: a
//! statement ends at a `;` that is outside quotes (`'...'`, `E'...'`, `"..."`, `$tag$...$tag$`),
//! comments (`-- ...`, nested `/* ... */`) and parentheses.
//!
//! `vdb sql` feeds every input through [`Splitter`]: a script (`-f`, `-q`, standard input) is
//! pushed whole and its statements run one by one, so the ones before an error have run and
//! printed, as in psql; the interactive shell pushes line by line and runs each statement as
//! soon as its `;` arrives. Text after the last `;` is returned by [`Splitter::finish`], since a
//! script's last statement need not end with one.

/// Where the scanner is in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Normal,
    /// Inside `'...'`; `escapes` for `E'...'`, where a backslash escapes the next character.
    Single {
        escapes: bool,
    },
    Double,
    /// Inside `$tag$...$tag$`: the whole delimiter, e.g. `$fn$`, and where the body starts
    /// in the buffer (so that `$$$$` is an empty body, not a closed-then-reopened quote).
    Dollar(String, usize),
    LineComment,
    /// Inside `/* ... */`, at this nesting depth.
    BlockComment(u32),
}

/// Accumulates SQL text and hands back complete statements.
#[derive(Debug)]
pub struct Splitter {
    buffer: String,
    state: State,
    /// Open parentheses in `buffer` outside quotes and comments.
    depth: u32,
    /// Whether `buffer` holds anything besides whitespace and comments.
    content: bool,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter::new()
    }
}

impl Splitter {
    pub fn new() -> Splitter {
        Splitter {
            buffer: String::new(),
            state: State::Normal,
            depth: 0,
            content: false,
        }
    }

    /// Adds `text` and returns the statements it completes, each with its `;`. Statements that
    /// hold only whitespace and comments are dropped.
    pub fn push(&mut self, text: &str) -> Vec<String> {
        let mut done = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            self.buffer.push(c);
            i += 1;
            match self.state.clone() {
                State::Normal => match c {
                    ';' if self.depth == 0 => {
                        let statement = std::mem::take(&mut self.buffer);
                        if self.content {
                            done.push(statement.trim().to_string());
                        }
                        self.content = false;
                    }
                    '-' if next == Some('-') => {
                        self.buffer.push('-');
                        i += 1;
                        self.state = State::LineComment;
                    }
                    '/' if next == Some('*') => {
                        self.buffer.push('*');
                        i += 1;
                        self.state = State::BlockComment(1);
                    }
                    '\'' => {
                        self.content = true;
                        let prefix = self.buffer.chars().rev().nth(1);
                        let before = self.buffer.chars().rev().nth(2);
                        let escapes = matches!(prefix, Some('e' | 'E'))
                            && !before.is_some_and(|b| b.is_alphanumeric() || b == '_');
                        self.state = State::Single { escapes };
                    }
                    '"' => {
                        self.content = true;
                        self.state = State::Double;
                    }
                    '$' => {
                        self.content = true;
                        if let Some(tag) = dollar_tag(&chars[i - 1..], &self.buffer) {
                            self.buffer.extend(tag.chars().skip(1));
                            i += tag.chars().count() - 1;
                            self.state = State::Dollar(tag, self.buffer.len());
                        }
                    }
                    '(' => {
                        self.content = true;
                        self.depth += 1;
                    }
                    ')' => {
                        self.content = true;
                        self.depth = self.depth.saturating_sub(1);
                    }
                    c if c.is_whitespace() => {}
                    _ => self.content = true,
                },
                State::Single { escapes } => match c {
                    '\\' if escapes => {
                        if let Some(n) = next {
                            self.buffer.push(n);
                            i += 1;
                        }
                    }
                    '\'' => self.state = State::Normal,
                    _ => {}
                },
                State::Double => {
                    if c == '"' {
                        self.state = State::Normal;
                    }
                }
                State::Dollar(tag, start) => {
                    if self.buffer.len() >= start + tag.len() && self.buffer.ends_with(tag.as_str())
                    {
                        self.state = State::Normal;
                    }
                }
                State::LineComment => {
                    if c == '\n' {
                        self.state = State::Normal;
                    }
                }
                State::BlockComment(depth) => {
                    if c == '*' && next == Some('/') {
                        self.buffer.push('/');
                        i += 1;
                        self.state = match depth {
                            1 => State::Normal,
                            d => State::BlockComment(d - 1),
                        };
                    } else if c == '/' && next == Some('*') {
                        self.buffer.push('*');
                        i += 1;
                        self.state = State::BlockComment(depth + 1);
                    }
                }
            }
        }
        done
    }

    /// Whether nothing but whitespace and comments waits for a `;` (the shell's prompt
    /// changes when a statement is incomplete).
    pub fn is_empty(&self) -> bool {
        !self.content
    }

    /// The text after the last complete statement, if it is more than whitespace and
    /// comments; the splitter is left empty.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.buffer);
        let content = std::mem::replace(&mut self.content, false);
        self.state = State::Normal;
        self.depth = 0;
        content.then(|| rest.trim().to_string())
    }
}

/// The dollar-quote delimiter (`$$` or `$tag$`) starting at `text[0]`, if there is one; `$1`
/// (a parameter) and `a$b` (an identifier character) are not delimiters.
fn dollar_tag(text: &[char], buffer: &str) -> Option<String> {
    let before = buffer.chars().rev().nth(1);
    if before.is_some_and(|b| b.is_alphanumeric() || b == '_') {
        return None;
    }
    let mut tag = String::from("$");
    for (k, &c) in text.iter().enumerate().skip(1) {
        match c {
            '$' => {
                tag.push('$');
                return Some(tag);
            }
            c if c.is_alphabetic() || c == '_' || (k > 1 && c.is_ascii_digit()) => tag.push(c),
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> (Vec<String>, Option<String>) {
        let mut s = Splitter::new();
        let done = s.push(text);
        (done, s.finish())
    }

    #[test]
    fn semicolons_end_statements_outside_quotes_comments_and_parentheses() {
        let (done, rest) = split(
            "select 'a;b', \"c;d\"; -- x; y\nselect /* ; /* ; */ ; */ 1;\nselect $f$;$f$, E'\\';', (1;2); select 3",
        );
        assert_eq!(
            done,
            vec![
                "select 'a;b', \"c;d\";",
                "-- x; y\nselect /* ; /* ; */ ; */ 1;",
                "select $f$;$f$, E'\\';', (1;2);",
            ]
        );
        assert_eq!(rest.as_deref(), Some("select 3"));
    }

    #[test]
    fn empty_statements_and_trailing_comments_are_dropped() {
        assert_eq!(split(" ; ;\n-- only a comment\n"), (vec![], None));
        assert_eq!(split("select 1; /* c */").1, None);
    }

    #[test]
    fn statements_may_span_pushes() {
        let mut s = Splitter::new();
        assert!(s.push("select 'a\n").is_empty());
        assert!(!s.is_empty());
        assert_eq!(s.push("b';").as_slice(), ["select 'a\nb';"]);
        assert!(s.is_empty());
    }

    #[test]
    fn parameters_and_identifiers_are_not_dollar_quotes() {
        assert_eq!(split("select $1; select a$b;").0.len(), 2);
        assert_eq!(split("select $$$$; select 2;").0.len(), 2);
    }
}
