/**
 * ink's Text for a string that may hold text from outside (a rack's or parameter's name, release notes,
 * CloudFormation's reasons): sanitized, so that no escape sequence in it reaches the terminal. Views show
 * such strings through it rather than calling sanitize each time, so that none is missed.
 */
import { Text, type TextProps } from 'ink';
import { sanitize } from '../../core/sanitize.js';

export function SafeText({
  children,
  multiline = false,
  keepLine = false,
  ...props
}: Omit<TextProps, 'children'> & {
  children: string;
  /** Keeps line breaks and tabs (else they become spaces). */
  multiline?: boolean;
  /** An empty text still takes its line (ink draws nothing for an empty Text), as in a scrolled list. */
  keepLine?: boolean;
}) {
  const text = sanitize(children, { multiline });
  return <Text {...props}>{keepLine && text === '' ? ' ' : text}</Text>;
}
