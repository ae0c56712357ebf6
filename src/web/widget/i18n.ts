export type UiLang = 'zh' | 'en';

export const TEXT = {
  zh: {
    title: '在线客服',
    open: '打开在线客服',
    closeChat: '关闭在线客服',
    close: '关闭',
    newConversation: '新对话',
    placeholder: '请输入您的问题…',
    send: '发送',
    welcome: '您好！我是智能客服，可以回答产品使用、故障排除和售后政策问题。',
    sources: '参考资料',
    thinking: '正在查找资料…',
    refusalTitle: '需要人工帮助',
    quoted: '摘自帮助资料',
    helpful: '有帮助',
    notHelpful: '没有帮助',
    commentPlaceholder: '可以告诉我们哪里不好吗？（选填）',
    submit: '提交',
    thanks: '感谢您的反馈！',
    retry: '重试',
    you: '您',
    assistant: '客服',
    errorNetwork: '网络连接失败，请检查网络后重试。',
    errorRateLimited: (seconds: number) => `提问太频繁了，请 ${seconds} 秒后再试。`,
    errorServer: '服务暂时出了点问题，请稍后重试。',
    errorBadRequest: '这个问题无法处理，请换个说法。',
    errorMisconfigured: '在线客服暂时无法使用：本网站的客服设置有误。请通过其他方式联系我们。',
    productLine: '适用产品线',
    messageLog: '对话记录',
  },
  en: {
    title: 'Support',
    open: 'Open support chat',
    closeChat: 'Close support chat',
    close: 'Close',
    newConversation: 'New conversation',
    placeholder: 'Ask a question…',
    send: 'Send',
    welcome: 'Hi! I can answer questions about using our products, troubleshooting, and our policies.',
    sources: 'Sources',
    thinking: 'Looking it up…',
    refusalTitle: 'A person can help',
    quoted: 'Quoted from our help articles',
    helpful: 'Helpful',
    notHelpful: 'Not helpful',
    commentPlaceholder: 'What was wrong? (optional)',
    submit: 'Send feedback',
    thanks: 'Thanks for your feedback!',
    retry: 'Retry',
    you: 'You',
    assistant: 'Assistant',
    errorNetwork: 'Could not reach the server. Check your connection and try again.',
    errorRateLimited: (seconds: number) => `Too many questions at once. Please try again in ${seconds} s.`,
    errorServer: 'Something went wrong on our side. Please try again.',
    errorBadRequest: 'That question could not be processed. Please rephrase it.',
    errorMisconfigured: "Support chat isn't available here right now: it is not set up correctly on this site. Please contact us another way.",
    productLine: 'Applies to',
    messageLog: 'Conversation',
  },
};

export type UiText = (typeof TEXT)['en'];

/** data-lang="zh|en" wins; "auto" (or nothing) follows the browser. */
export function pickLanguage(attribute: string | null | undefined, browser: readonly string[]): UiLang {
  if (attribute === 'zh' || attribute === 'en') return attribute;
  return browser.some((lang) => lang.toLowerCase().startsWith('zh')) && !browser[0]?.toLowerCase().startsWith('en') ? 'zh' : 'en';
}
