import { ActionIcon, Loader, Text, Tooltip } from '@mantine/core';
import { IconPlus, IconX } from '@tabler/icons-react';
import { useRef, useState, type KeyboardEvent } from 'react';
import { useSession } from '../sessions/use-sessions';
import { SessionTabMenu } from './session-tab-menu';
import classes from './session-tab-strip.module.css';

interface Props {
  tabs: string[];
  active: string | null;
  onActivate(id: string): void;
  onClose(id: string): void;
  /** Stops the tab's workspace (closing a tab leaves it running until the server reaps it). */
  onStop(id: string): void;
  onMove(id: string, to: number): void;
  onAdd(): void;
}

function TabLabel({ id }: { id: string }) {
  const { data, isPending, isError } = useSession(id);
  if (isPending) return <><Loader size={10} /> <span>Loading…</span></>;
  if (isError) return <Text span c="red" size="sm" inherit>Unavailable</Text>;
  return <span className={classes.name}>{data.name}</span>;
}

/**
 * The open sessions as tabs (WAI-ARIA tabs pattern): click or arrow keys to
 * switch, Delete to close, Alt+Shift+←/→ or drag to reorder.
 *
 * Each tab carries its own menu and close buttons, which a tablist may not
 * contain: the tabs sit in plain groups and the tablist takes them over with
 * `aria-owns`, so assistive technology sees a tablist of tabs only.
 */
export function SessionTabStrip({ tabs, active, onActivate, onClose, onStop, onMove, onAdd }: Props) {
  const refs = useRef(new Map<string, HTMLButtonElement>());
  const [dragging, setDragging] = useState<string | null>(null);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const focus = (id: string | undefined) => id && requestAnimationFrame(() => refs.current.get(id)?.focus());

  function onKeyDown(event: KeyboardEvent, id: string, index: number) {
    const last = tabs.length - 1;
    if (event.altKey && event.shiftKey && (event.key === 'ArrowLeft' || event.key === 'ArrowRight')) {
      event.preventDefault();
      onMove(id, index + (event.key === 'ArrowLeft' ? -1 : 1));
      focus(id);
      return;
    }
    const go = (i: number) => {
      event.preventDefault();
      const next = tabs[i];
      if (next) {
        onActivate(next);
        focus(next);
      }
    };
    if (event.key === 'ArrowRight') go(index === last ? 0 : index + 1);
    else if (event.key === 'ArrowLeft') go(index === 0 ? last : index - 1);
    else if (event.key === 'Home') go(0);
    else if (event.key === 'End') go(last);
    else if (event.key === 'Delete') {
      event.preventDefault();
      onClose(id);
      focus(tabs[index + 1] ?? tabs[index - 1]);
    }
  }

  return (
    <div className={classes.strip}>
      <div role="tablist" aria-label="Open sessions" aria-owns={tabs.map((id) => `tab-${id}`).join(' ')} />
      <div className={classes.list}>
        {tabs.map((id, index) => {
          const selected = id === active;
          return (
            <div
              key={id}
              role="presentation"
              className={classes.tab}
              data-active={selected || undefined}
              data-drop={dropTarget === id || undefined}
              data-testid="session-tab"
              draggable
              onDragStart={(e) => {
                setDragging(id);
                e.dataTransfer.effectAllowed = 'move';
                e.dataTransfer.setData('text/plain', id);
              }}
              onDragOver={(e) => {
                if (!dragging || dragging === id) return;
                e.preventDefault();
                setDropTarget(id);
              }}
              onDragLeave={() => setDropTarget((t) => (t === id ? null : t))}
              onDrop={(e) => {
                e.preventDefault();
                const moved = e.dataTransfer.getData('text/plain') || dragging;
                if (moved && moved !== id) onMove(moved, index);
                setDragging(null);
                setDropTarget(null);
              }}
              onDragEnd={() => {
                setDragging(null);
                setDropTarget(null);
              }}
            >
              <button
                ref={(el) => {
                  if (el) refs.current.set(id, el);
                  else refs.current.delete(id);
                }}
                type="button"
                role="tab"
                id={`tab-${id}`}
                aria-selected={selected}
                aria-controls={`panel-${id}`}
                tabIndex={selected ? 0 : -1}
                className={classes.tabButton}
                onClick={() => onActivate(id)}
                onKeyDown={(e) => onKeyDown(e, id, index)}
                onAuxClick={(e) => e.button === 1 && onClose(id)}
              >
                <TabLabel id={id} />
              </button>
              <SessionTabMenu id={id} index={index} count={tabs.length} selected={selected} onMove={onMove} onStop={onStop} onClose={onClose} />
              <ActionIcon size="sm" variant="subtle" color="gray" aria-label="Close tab" tabIndex={selected ? 0 : -1} onClick={() => onClose(id)}>
                <IconX size={14} />
              </ActionIcon>
            </div>
          );
        })}
      </div>
      <Tooltip label="Open another session">
        <ActionIcon variant="subtle" color="gray" size="lg" aria-label="Open another session" onClick={onAdd} className={classes.add}>
          <IconPlus size={16} />
        </ActionIcon>
      </Tooltip>
    </div>
  );
}
